"""Access changes reach open WebSockets, whichever path wrote them.

What a user's socket may hear depends on ``User.is_active``, ``role``, ``is_superuser``, the
password (a change ends other sessions) and their ``TeamMembership`` rows. The actions
(``agents.actions``), the Django admin's user and team pages (memberships are inlines), the
shell and cascading deletes all write those through a model save or delete, so these
receivers are the one hook none of them skips. Each queues, for after commit,
``EventType.ACCESS_CHANGED`` to the user's sockets, which re-check and re-scope themselves
(``web.consumers``). ``QuerySet.update()`` fires nothing: it is never used for these
fields.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from baton.agents.models import TeamMembership, User
from baton.realtime.events import notify_access_changed

ACCESS_FIELDS = frozenset({"is_active", "role", "is_superuser", "password"})


def user_saved(sender: Any, instance: User, created: bool, update_fields: Any, **_: Any) -> None:
    if created:
        return  # no socket can be open yet
    if update_fields is not None and not ACCESS_FIELDS & set(update_fields):
        return  # e.g. last_login, written at every login
    notify_access_changed([instance.pk])


def user_deleted(sender: Any, instance: User, **_: Any) -> None:
    notify_access_changed([instance.pk])


def membership_changed(sender: Any, instance: TeamMembership, **_: Any) -> None:
    notify_access_changed([instance.user_id])


def connect_signals() -> None:
    post_save.connect(user_saved, sender=User, dispatch_uid="baton-access-user-saved")
    post_delete.connect(user_deleted, sender=User, dispatch_uid="baton-access-user-deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            membership_changed,
            sender=TeamMembership,
            dispatch_uid=f"baton-access-membership-{signal is post_save}",
        )
