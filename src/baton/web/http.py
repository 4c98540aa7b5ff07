"""The request type of the inbox's views (a logged-in user, and django-htmx's details), and
the inbox's list filters as the query string carries them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django_htmx.middleware import HtmxDetails

from baton.agents.http import AuthenticatedRequest
from baton.core.inputs import whole_number


class InboxRequest(AuthenticatedRequest):
    htmx: HtmxDetails


FILTER_KEYS = ("team", "status", "owner", "sla", "handoff", "waiting", "replied_by", "answered_by")


@dataclass(frozen=True)
class InboxFilters:
    """The manager's board links here: ``/?team=3&status=queued``, ``/?owner=alice``,
    ``/?sla=breached`` … Values are only parsed here; ``web.queries.apply_filters`` gives
    them their meaning (the board's definitions). Unknown values match nothing."""

    team: int | None = None
    status: str = ""
    owner: str = ""
    sla: str = ""
    handoff: str = ""
    waiting: bool = False
    replied_by: str = ""
    answered_by: str = ""
    since: datetime | None = None

    def __bool__(self) -> bool:
        return self != InboxFilters()

    def query(self) -> str:
        """The same filters as a query string (for live refreshes and "Load more")."""
        pairs: list[tuple[str, str]] = []
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if value is True:
                pairs.append((key, "1"))
            elif value not in (None, "", False):
                pairs.append((key, str(value)))
        if self.since is not None:
            pairs.append(("since", self.since.isoformat()))
        return urlencode(pairs)


def parse_inbox_filters(params: QueryDict) -> InboxFilters:
    since_text = params.get("since", "")
    since = parse_datetime(since_text) if since_text else None
    if since is not None and since.tzinfo is None:
        since = None  # a time without its offset is ambiguous: ignored, not guessed
    team = params.get("team", "")
    return InboxFilters(
        # Not a number: team 0, which no team is (nothing matches rather than everything).
        team=(whole_number(team) or 0) if team else None,
        status=params.get("status", "")[:32],
        owner=params.get("owner", "")[:150],
        sla=params.get("sla", "")[:32],
        handoff=params.get("handoff", "")[:32],
        waiting=params.get("waiting", "") == "1",
        replied_by=params.get("replied_by", "")[:150],
        answered_by=params.get("answered_by", "")[:150],
        since=since,
    )
