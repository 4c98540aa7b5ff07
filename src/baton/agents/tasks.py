"""Agents' periodic work: presence expiry (idle agents become away, gone ones offline)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from baton.agents.actions import do_set_presence
from baton.agents.models import Presence, User


def do_expire_presence(now: datetime | None = None) -> int:
    """Presence timeouts (idempotent scan): available → away after
    ``BATON_AWAY_AFTER_SECONDS`` without activity; away/available → offline once every
    WebSocket of the agent has been gone for ``BATON_OFFLINE_AFTER_SECONDS``.

    Applies only to agents who have connected the web app at least once
    (``last_active_at`` set): an agent driving Baton only through the API keeps the
    presence they set.
    """
    now = now or timezone.now()
    away_cutoff = now - timedelta(seconds=settings.BATON_AWAY_AFTER_SECONDS)
    offline_cutoff = now - timedelta(seconds=settings.BATON_OFFLINE_AFTER_SECONDS)
    changed = 0
    # Gone: every tab closed a while ago, or no tab has sent a heartbeat for as long (its
    # server died without counting the disconnect).
    gone = User.objects.filter(
        Q(live_connections=0, last_active_at__lt=offline_cutoff)
        | Q(last_seen_at__lt=offline_cutoff),
        presence__in=["available", "away"],
    )
    for user in gone:
        changed += do_set_presence(user, Presence.OFFLINE)
    idle = User.objects.filter(
        presence=Presence.AVAILABLE,
        last_active_at__lt=away_cutoff,
        live_connections__gt=0,
        last_seen_at__gte=offline_cutoff,
    )
    for user in idle:
        changed += do_set_presence(user, Presence.AWAY)
    return changed


@task()
def expire_presence() -> int:
    return do_expire_presence()
