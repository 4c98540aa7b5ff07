"""Reads for routing: the rules of an inbox, its business hours, and the facts rules see.

The ingest path reads rules with one indexed query per *new* conversation (not per message):
cheap enough that a per-process cache, and the cross-process invalidation it would need with
several ``baton serve`` workers, is not worth its staleness bugs. Measured in
``benchmarks/routing.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db.models import Exists, OuterRef, Q, Subquery

from baton.agents.models import Team, TeamMembership, User
from baton.conversations.models import Conversation, Direction, Message
from baton.conversations.queries import managed_team_ids, visible_conversations
from baton.core.business_hours import Hours, is_within_business_hours
from baton.core.errors import NotFound, PermissionDenied
from baton.routing.conditions import Decision, Rule, decide
from baton.routing.models import BusinessHours, RoutingRule
from baton.whatsapp.models import Inbox


def check_manager(user: Any) -> None:
    """Routing is configuration: managers and admins only."""
    if not (user.is_authenticated and (user.is_manager or user.is_superuser)):
        raise PermissionDenied("Only managers can change or try routing rules.")


def access_rule(user: Any, rule_id: int) -> RoutingRule:
    """The rule, if ``user`` may configure it; 403 (saying why) for another team's rule.

    Rule ids are sequential, so a 404 would hide nothing; the 403 tells a manager who
    followed an old link whom to ask.
    """
    check_manager(user)
    rule = RoutingRule.objects.select_related("inbox").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"Routing rule {rule_id} does not exist.")
    get_team_walls().check_may_configure(user, rule.inbox_id, rule.actions)
    return rule


# ------------------------------------------------------------------------------------------
# Team walls: which teams a rule touches, and who may configure it


@dataclass(frozen=True)
class TeamWalls:
    """What deciding "the teams a rule touches" needs, read once (see ``teams_touched``).

    ``inbox_team``: the team new conversations of each inbox land in before any rule
    (the inbox's default team, else the default team; None when there is neither).
    ``team_ids``: team name → id. ``agent_teams``: username → ids of the user's teams.
    """

    inbox_team: dict[int, int | None]
    team_ids: dict[str, int]
    team_names: dict[int, str]
    agent_teams: dict[str, frozenset[int]] = field(default_factory=dict)
    _managed: dict[int, frozenset[int] | None] = field(default_factory=dict, compare=False)

    def managed_by(self, user: Any) -> frozenset[int] | None:
        """The teams ``user`` manages (None: every team), read once per walls."""
        if user.pk not in self._managed:
            managed = managed_team_ids(user)
            self._managed[user.pk] = None if managed is None else frozenset(managed)
        return self._managed[user.pk]

    def teams_touched(self, inbox_id: int | None, actions: Any) -> frozenset[int] | None:
        """The teams a rule touches; None means every team (only admins may configure it).

        A rule touches:

        1. the team it takes conversations from: its inbox's team (``inbox.default_team``,
           else the default team), because a rule only ever runs for new conversations of
           its own inbox. A rule for every inbox (no inbox) takes them from every team,
           and so does a rule whose inbox has no team at all.
        2. the team it sends them to: ``actions.team``.
        3. the person it hands them to: ``actions.agent`` must belong to a team of 1 or
           2; when they do not, every team of theirs is touched too (and a named agent in
           no team at all makes the rule touch every team).

        Conditions are not consulted: they are ANDed with the inbox scope, so they can only
        narrow which of those conversations match, never reach others. Priority, labels
        and strategy stay inside the teams above.
        """
        if inbox_id is None:
            return None
        source = self.inbox_team.get(inbox_id)
        if source is None:
            return None
        touched = {source}
        actions = actions if isinstance(actions, Mapping) else {}
        team = actions.get("team")
        if isinstance(team, str) and team in self.team_ids:
            touched.add(self.team_ids[team])
        agent = actions.get("agent")
        if isinstance(agent, str) and agent:
            their_teams = self.agent_teams.get(agent, frozenset())
            if not their_teams:
                return None
            if not their_teams & touched:
                touched |= their_teams
        return frozenset(touched)

    def may_configure(self, user: Any, inbox_id: int | None, actions: Any) -> bool:
        """Admins configure every rule; a manager only rules whose every touched team is
        one they manage (``conversations.queries.managed_team_ids``)."""
        if user is None:
            return True  # the system itself (demo data, migrations)
        managed = self.managed_by(user)
        if managed is None:
            return True
        touched = self.teams_touched(inbox_id, actions)
        return touched is not None and touched <= managed

    def check_may_configure(self, user: Any, inbox_id: int | None, actions: Any) -> None:
        """Raise ``PermissionDenied`` (403) naming what is outside ``user``'s teams."""
        if self.may_configure(user, inbox_id, actions):
            return
        touched = self.teams_touched(inbox_id, actions)
        if touched is None:
            raise PermissionDenied(
                "Only admins can configure a routing rule for every inbox, or one that "
                "reaches every team: choose an inbox and teams you manage."
            )
        outside = sorted(
            self.team_names.get(t, str(t)) for t in touched - (self.managed_by(user) or set())
        )
        raise PermissionDenied(
            "You can only configure routing rules within the teams you manage; this rule "
            f"would reach {', '.join(outside)}. Ask an admin or a manager of "
            f"{'that team' if len(outside) == 1 else 'those teams'}."
        )


def get_team_walls() -> TeamWalls:
    """Three small queries, whatever the number of rules (a page reads it once)."""
    teams = list(Team.objects.values_list("pk", "name", "is_default"))
    names = {pk: name for pk, name, _ in teams}
    default_team = next((pk for pk, _, is_default in teams if is_default), None)
    inbox_team = {
        inbox_id: team_id or default_team
        for inbox_id, team_id in Inbox.objects.values_list("pk", "default_team_id")
    }
    agent_teams: dict[str, set[int]] = {}
    for username, team_id in TeamMembership.objects.values_list("user__username", "team_id"):
        agent_teams.setdefault(username, set()).add(team_id)
    return TeamWalls(
        inbox_team=inbox_team,
        team_ids={name: pk for pk, name in names.items()},
        team_names=names,
        agent_teams={username: frozenset(ids) for username, ids in agent_teams.items()},
    )


def get_configurable_rules(user: Any, walls: TeamWalls | None = None) -> list[RoutingRule]:
    """The rules ``user`` may see and change: every rule for admins, for a manager those
    that touch only teams they manage. Other teams' rules are not shown at all: their
    conditions and actions describe another team's customers and people, and one
    visibility rule for reading and writing leaves no read-only path to get wrong."""
    walls = walls or get_team_walls()
    rules = RoutingRule.objects.select_related("inbox", "updated_by", "created_by").order_by(
        "position", "id"
    )
    return [r for r in rules if walls.may_configure(user, r.inbox_id, r.actions)]


def check_may_try_sample(user: Any, inbox_id: int | None) -> None:
    """A dry-run sample shows what the inbox's rules (and the every-inbox rules) decide:
    only for an inbox whose team ``user`` manages; without an inbox, admins only."""
    get_team_walls().check_may_configure(user, inbox_id, {})


def scope_q(inbox_id: int | None) -> Q:
    """The rules (or hours) of one inbox; ``None`` means the every-inbox ones."""
    return Q(inbox__isnull=True) if inbox_id is None else Q(inbox_id=inbox_id)


def as_rule(rule: RoutingRule) -> Rule:
    return Rule(
        id=rule.pk,
        name=rule.name,
        conditions=rule.conditions,
        actions=rule.actions,
        enabled=rule.enabled,
    )


def get_rules_for(inbox_id: int, *, enabled_only: bool = True) -> list[Rule]:
    """Rules to try for a conversation of ``inbox_id``, first to last."""
    qs = RoutingRule.objects.filter(Q(inbox_id=inbox_id) | Q(inbox__isnull=True))
    if enabled_only:
        qs = qs.filter(enabled=True)
    rows = list(qs.only("id", "inbox_id", "position", "name", "enabled", "conditions", "actions"))
    return order_rules(rows)


def order_rules(rows: Iterable[RoutingRule]) -> list[Rule]:
    """Own rules by position, then every-inbox rules by position."""
    ordered = sorted(rows, key=lambda r: (r.inbox_id is None, r.position, r.pk))
    return [as_rule(r) for r in ordered]


def get_hours(inbox_id: int | None) -> Hours | None:
    """The inbox's business hours, else the default ones, else None (always open)."""
    rows = list(BusinessHours.objects.filter(Q(inbox_id=inbox_id) | Q(inbox__isnull=True)))
    rows.sort(key=lambda h: h.inbox_id is None)
    return hours_of(rows[0]) if rows else None


def hours_of(row: BusinessHours) -> Hours:
    return Hours(time_zone=row.time_zone, weekly=row.weekly, holidays=row.holidays)


def reply_of(message_type: str, content: dict[str, Any]) -> tuple[str, str]:
    """The id and title of the button or list row a customer chose ("" when none).

    ``whatsapp.parsing`` stores an interactive reply's object flattened into ``content``
    (``{"interactive_type": "button_reply", "id": …, "title": …}``) and a template
    quick-reply button as ``{"payload": …, "text": …}``.
    """
    if message_type == "interactive" and content.get("interactive_type") in (
        "button_reply",
        "list_reply",
    ):
        return str(content.get("id") or ""), str(content.get("title") or "")
    if message_type == "button":
        return str(content.get("payload") or ""), str(content.get("text") or "")
    return "", ""


def build_facts(
    *,
    inbox_id: int | None,
    inbox_name: str,
    contact_attributes: Any,
    contact_labels: Any,
    language: str,
    conversation_attributes: Any,
    intent: str = "",
    message_text: str,
    message_type: str,
    reply_id: str,
    reply_title: str,
    is_returning: bool,
    within_business_hours: bool,
) -> dict[str, Any]:
    """The flat dict ``conditions.evaluate`` reads; one key per whitelisted field."""
    return {
        "inbox.id": inbox_id,
        "inbox.name": inbox_name,
        "contact.attributes": contact_attributes if isinstance(contact_attributes, dict) else {},
        "contact.labels": contact_labels if isinstance(contact_labels, list) else [],
        "conversation.language": language,
        "conversation.intent": intent,
        "conversation.attributes": (
            conversation_attributes if isinstance(conversation_attributes, dict) else {}
        ),
        "message.text": message_text,
        "message.type": message_type,
        "message.reply_id": reply_id,
        "message.reply_title": reply_title,
        "customer.is_returning": is_returning,
        "time.within_business_hours": within_business_hours,
    }


IntentReader = Callable[[Conversation, "Message | None"], str]
_intent_readers: list[IntentReader] = []


def register_intent_reader(reader: IntentReader) -> None:
    """Let a higher app (assist) tell the intent of a conversation's opening message.

    Rules run when a conversation is created, before assist's task has classified anything:
    a rule that reads ``conversation.intent`` asks the reader then (only such a rule pays
    for it). With no reader, or a reader that cannot tell, the intent is blank and rules on
    it simply do not match — routing behaves as without assist.
    """
    if reader not in _intent_readers:
        _intent_readers.append(reader)


def read_intent(conversation: Conversation, message: Message | None) -> str:
    if conversation.intent:
        return conversation.intent
    for reader in _intent_readers:
        intent = reader(conversation, message)
        if intent:
            return intent
    return ""


class LazyFacts(Mapping[str, Any]):
    """Facts whose costly entries (a query each) are only computed if a rule reads them.

    Most rules look at the message alone; then the ingest pays for no extra query.
    """

    def __init__(self, facts: dict[str, Any], lazy: dict[str, Callable[[], Any]]) -> None:
        self._facts = facts
        self._lazy = lazy

    def __getitem__(self, key: str) -> Any:
        if key not in self._facts and key in self._lazy:
            self._facts[key] = self._lazy.pop(key)()
        return self._facts[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._facts, **self._lazy})

    def __len__(self) -> int:
        return len({**self._facts, **self._lazy})


def get_facts(
    conversation: Conversation,
    message: Message | None,
    *,
    now: datetime,
    is_returning: bool | None = None,
    hours: Hours | Literal["look up"] | None = "look up",
) -> Mapping[str, Any]:
    """Facts for a conversation and the inbound message that opened it.

    ``is_returning`` and ``hours`` may be passed in when the caller already knows them (the
    dry run computes them for many conversations at once); otherwise each is looked up the
    first time a rule reads it.
    """
    msg_type = message.type if message is not None else ""
    reply_id, reply_title = reply_of(msg_type, message.content if message is not None else {})
    contact = conversation.contact
    facts = build_facts(
        inbox_id=conversation.inbox_id,
        inbox_name=conversation.inbox.name,
        contact_attributes=contact.attributes,
        contact_labels=contact.labels,
        language=conversation.language,
        conversation_attributes=conversation.attributes,
        message_text=message.text if message is not None else "",
        message_type=msg_type,
        reply_id=reply_id,
        reply_title=reply_title,
        is_returning=bool(is_returning),
        within_business_hours=False,
    )
    lazy: dict[str, Callable[[], Any]] = {}
    if is_returning is None:
        del facts["customer.is_returning"]
        lazy["customer.is_returning"] = lambda: (
            Conversation.objects.filter(
                contact_id=conversation.contact_id, created_at__lte=conversation.created_at
            )
            .exclude(pk=conversation.pk)
            .exists()
        )
    del facts["conversation.intent"]
    lazy["conversation.intent"] = lambda: read_intent(conversation, message)
    del facts["time.within_business_hours"]
    if hours == "look up":
        lazy["time.within_business_hours"] = lambda: is_within_business_hours(
            get_hours(conversation.inbox_id), now
        )
    else:
        facts["time.within_business_hours"] = is_within_business_hours(hours, now)
    return LazyFacts(facts, lazy)


# ------------------------------------------------------------------------------------------
# Validation context and dry run


def get_action_targets() -> tuple[set[str], dict[str, set[str]]]:
    """Team names, and the active users who may own conversations with their team names."""
    teams = set(Team.objects.values_list("name", flat=True))
    agents: dict[str, set[str]] = {}
    for username, team_name in User.objects.filter(is_active=True).values_list(
        "username", "memberships__team__name"
    ):
        agents.setdefault(username, set())
        if team_name:
            agents[username].add(team_name)
    return teams, agents


def get_dry_run(viewer: Any, limit: int, inbox_id: int | None = None) -> list[dict[str, Any]]:
    """What the current rules would decide for the latest ``limit`` conversations that
    ``viewer`` may see (a manager of one team sees none of another team's customers).

    Each conversation is judged on what the rules saw when it was opened: its first inbound
    message, whether the contact had an earlier conversation, the business hours at its
    creation time. A fixed number of queries, whatever ``limit`` is.
    """
    first_inbound = (
        Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.INBOUND)
        .order_by("timestamp", "id")
        .values("pk")[:1]
    )
    earlier = Conversation.objects.filter(
        contact_id=OuterRef("contact_id"), created_at__lt=OuterRef("created_at")
    )
    qs = (
        visible_conversations(viewer)
        .select_related("inbox", "contact", "routing_rule")
        .annotate(first_message_id=Subquery(first_inbound), returning=Exists(earlier))
    )
    if inbox_id is not None:
        qs = qs.filter(inbox_id=inbox_id)
    conversations = list(qs.order_by("-created_at", "-id")[:limit])
    messages = Message.objects.in_bulk(
        [c.first_message_id for c in conversations if c.first_message_id]  # type: ignore[attr-defined]
    )
    all_rules = list(
        RoutingRule.objects.filter(enabled=True).only(
            "id", "inbox_id", "position", "name", "enabled", "conditions", "actions"
        )
    )
    all_hours = {h.inbox_id: hours_of(h) for h in BusinessHours.objects.all()}
    results = []
    for conversation in conversations:
        rules = order_rules(r for r in all_rules if r.inbox_id in (None, conversation.inbox_id))
        hours = all_hours.get(conversation.inbox_id, all_hours.get(None))
        message = messages.get(conversation.first_message_id)  # type: ignore[attr-defined]
        facts = get_facts(
            conversation,
            message,
            now=conversation.created_at,
            is_returning=conversation.returning,  # type: ignore[attr-defined]
            hours=hours,
        )
        results.append(
            {
                "conversation": conversation,
                "message": message,
                "decision": decide(rules, facts),
                "facts": facts,
            }
        )
    return results


def get_sample_decision(
    *,
    inbox: Any,
    text: str = "",
    reply_id: str = "",
    reply_title: str = "",
    message_type: str = "",
    contact_labels: list[str] | None = None,
    contact_attributes: dict[str, Any] | None = None,
    is_returning: bool = False,
    within_business_hours: bool | None = None,
    now: datetime,
) -> tuple[Decision | None, dict[str, Any]]:
    """What the current rules would do with a pasted message sent to ``inbox`` now.

    ``inbox`` None tries only the every-inbox rules. Business hours are the inbox's at
    ``now`` unless ``within_business_hours`` says otherwise.
    """
    inbox_id = inbox.pk if inbox is not None else None
    if within_business_hours is None:
        within_business_hours = is_within_business_hours(get_hours(inbox_id), now)
    facts = build_facts(
        inbox_id=inbox_id,
        inbox_name=inbox.name if inbox is not None else "",
        contact_attributes=contact_attributes or {},
        contact_labels=contact_labels or [],
        language="",
        conversation_attributes={},
        message_text=text,
        message_type=message_type or ("interactive" if reply_id or reply_title else "text"),
        reply_id=reply_id,
        reply_title=reply_title,
        is_returning=is_returning,
        within_business_hours=within_business_hours,
    )
    rules = (
        get_rules_for(inbox_id)
        if inbox_id is not None
        else order_rules(RoutingRule.objects.filter(inbox__isnull=True, enabled=True))
    )
    return decide(rules, facts), facts
