"""What a person may do with the open conversation, as the pane offers it.

``available_actions`` is the one place that decides which buttons the pane shows (NetBox's
``get_permitted_actions(user, obj)``): the templates loop over its answer. The ownership
actions still enforce every rule (``conversations.ownership``); this module mirrors their
checks so the pane offers what will succeed, and says why when it offers nothing.
``tests/web/test_actions_menu.py`` performs every offered and refused action to keep the two
in step.

Pure over data already loaded for the pane: the conversation (with its owner and team), the
pending handoff, whether the viewer manages the team, and the time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from baton.conversations.models import Conversation, ConversationStatus, Handoff
from baton.core.durations import human_since

SNOOZE_CHOICES = [(1, "1 hour"), (4, "4 hours"), (24, "Tomorrow"), (24 * 7, "Next week")]


@dataclass(frozen=True)
class PaneAction:
    """One thing the viewer can press: a POST to ``url`` (or, with ``dialog``, a dialog)."""

    key: str
    label: str
    url: str = ""
    shortcut: str = ""
    enabled: bool = True
    reason: str = ""  # why it is not offered (when not enabled)
    primary: bool = False
    vals: SafeString | str = ""  # hx-vals: the form fields the button sends
    confirm: str = ""
    dialog: str = ""
    menu: tuple[PaneAction, ...] = ()
    method: str = "post"

    @property
    def title(self) -> str:
        return f"{self.label} ({self.shortcut})" if self.shortcut else ""


def _offer(action: PaneAction, why_not: str) -> PaneAction:
    """``action`` as offered, or (with a reason) as refused."""
    return replace(action, enabled=False, reason=why_not, menu=()) if why_not else action


class ComposerMode:
    REPLY = "reply"  # the owner, free text inside the 24-hour window
    TEMPLATE = "template"  # the owner, window closed: approved templates only
    NOTE_ONLY = "note_only"  # someone else owns it: internal notes only
    UNASSIGNED = "unassigned"  # nobody owns it: claim first
    RESOLVED = "resolved"  # nothing to write until it reopens


@dataclass(frozen=True)
class Composer:
    """What the composer lets the viewer write, and the sentence that says why not more."""

    mode: str
    can_reply: bool
    can_note: bool
    reason: SafeString | str = ""
    claim: PaneAction | None = None


@dataclass(frozen=True)
class ConversationActions:
    """The toolbar's buttons in display order, the composer, and every action's verdict."""

    toolbar: tuple[PaneAction, ...]
    composer: Composer
    every: tuple[PaneAction, ...]

    @cached_property
    def offered(self) -> dict[str, PaneAction]:
        """Enabled actions by key, for templates (``actions.offered.accept``)."""
        return {action.key: action for action in self.every if action.enabled}


def available_actions(
    conversation: Conversation,
    user: Any,
    *,
    can_manage: bool,
    handoff: Handoff | None,
    now: datetime,
    bot_flows: tuple[str, ...] = (),
) -> ConversationActions:
    """The buttons ``user`` gets for ``conversation``: the decisions the pane shows.

    ``can_manage`` is ``is_manager_of(user, conversation.team)`` and ``handoff`` the
    pending handoff (or None), both read once by the caller; ``bot_flows`` the names of
    the flows a conversation can be returned to (none: no "Return to bot" at all).
    """
    is_owner = conversation.owner_id == user.pk
    owner = conversation.owner if conversation.owner_id is not None else None
    # Exactly one of these describes where the viewer stands; the buttons follow from it.
    resolved = conversation.status == ConversationStatus.RESOLVED
    unassigned = not resolved and owner is None
    owning = not resolved and is_owner
    overseeing = not resolved and owner is not None and not is_owner and can_manage
    someone_else = (
        "It is resolved."
        if resolved
        else "Nobody owns it yet."
        if owner is None
        else "It is already yours."
        if is_owner
        else f"{owner.name} owns it."
    )
    only_owner = "" if owning else "Only the owner can do this."

    def url(verb: str) -> str:
        return reverse("web:ownership", args=[conversation.pk, verb])

    reopen = _offer(
        PaneAction("reopen", "Reopen", url("reopen"), primary=True),
        "" if resolved else "It is open.",
    )
    claim = _offer(
        PaneAction("claim", "Claim", url("claim"), shortcut="c", primary=True),
        "" if unassigned else someone_else,
    )
    handoff_action = _offer(
        PaneAction("handoff", "Hand off", shortcut="h", dialog="handoff-dialog"), only_owner
    )
    pending = _offer(
        PaneAction("pending", "Waiting on customer", url("pending")),
        only_owner
        or ("" if conversation.status == ConversationStatus.ASSIGNED else "It is not assigned."),
    )
    release = _offer(PaneAction("release", "Release to the queue", url("release")), only_owner)
    snooze_choices = tuple(
        PaneAction("snooze", label, url("snooze"), vals=format_html('{{"hours": "{}"}}', hours))
        for hours, label in SNOOZE_CHOICES
    )
    snooze = _offer(
        PaneAction(
            "snooze",
            "Snooze",
            menu=snooze_choices + tuple(a for a in (pending, release) if a.enabled),
        ),
        only_owner,
    )
    # The owner's main button (with its shortcut); a manager's is a plain one.
    resolve = _offer(
        PaneAction("resolve", "Resolve", url("resolve"), shortcut="e", primary=True)
        if owning
        else PaneAction("resolve", "Resolve", url("resolve")),
        ""
        if owning or (not resolved and can_manage)
        else "It is resolved."
        if resolved
        else "Only the owner or a manager can resolve it.",
    )
    takeover = _offer(
        PaneAction(
            "takeover",
            "Take over",
            url("takeover"),
            vals=mark_safe('{"reason": "manager take-over"}'),  # a constant: no markup to escape
            confirm=f"Take this conversation over from {owner.name}?" if owner else "",
        ),
        ""
        if overseeing
        else "Only a manager of this team can take it over."
        if not resolved and owner is not None and not is_owner
        else someone_else,
    )
    for_me = (
        "" if handoff is not None and handoff.to_user_id == user.pk else "No handoff waits for you."
    )
    accept = _offer(PaneAction("accept", "Accept", url("accept"), primary=True), for_me)
    decline = _offer(PaneAction("decline", "Decline", url("decline")), for_me)
    # Per failed message (the timeline adds its URL); resending is a reply, so the owner's.
    retry = _offer(PaneAction("retry", "Retry"), "" if is_owner else "Only the owner can resend.")

    with_bot = conversation.status == ConversationStatus.BOT
    to_bot = _offer(
        PaneAction(
            "bot",
            "Return to bot",
            menu=tuple(
                PaneAction("bot", name, url("bot"), vals=format_html('{{"flow": "{}"}}', name))
                for name in bot_flows
            ),
        ),
        "A bot holds it."
        if with_bot
        else ""
        if owning or overseeing
        else "Only the owner or a manager can return it to a bot.",
    )
    # Only where flows exist: without them the pane is exactly what it always was.
    bot_actions = (to_bot,) if bot_flows else ()
    offered_bot = tuple(a for a in bot_actions if a.enabled)

    if resolved:
        toolbar: tuple[PaneAction, ...] = (reopen,)
    elif unassigned:
        toolbar = (claim, resolve) if resolve.enabled else (claim,)
    elif owning:
        toolbar = (handoff_action, snooze, *offered_bot, resolve)
    elif overseeing:
        toolbar = (takeover, *offered_bot, resolve)
    else:
        toolbar = ()
    composer = _composer(conversation, is_owner, owner, can_manage, now, claim)
    # The composer's fields, not buttons: their keys focus them (live.js).
    reply = PaneAction(
        "reply", "Reply", shortcut="r", enabled=composer.can_reply, reason=composer.reason
    )
    note = PaneAction(
        "note", "Internal note", shortcut="n", enabled=composer.can_note, reason=composer.reason
    )
    every = (claim, takeover, handoff_action, accept, decline, release, resolve, reopen)
    return ConversationActions(
        toolbar=toolbar,
        composer=composer,
        every=(*every, snooze, pending, retry, reply, note, *bot_actions),
    )


def _composer(
    conversation: Conversation,
    is_owner: bool,
    owner: Any,
    can_manage: bool,
    now: datetime,
    claim: PaneAction,
) -> Composer:
    if conversation.status == ConversationStatus.RESOLVED:
        last_owner = conversation.last_owner
        back_to = (
            format_html(", back to {} if they are available", last_owner.name) if last_owner else ""
        )
        reason = format_html(
            "This conversation is resolved. It reopens by itself when the customer writes again{}.",
            back_to,
        )
        return Composer(ComposerMode.RESOLVED, can_reply=False, can_note=False, reason=reason)
    if is_owner:
        if conversation.window_is_open(now):
            return Composer(ComposerMode.REPLY, can_reply=True, can_note=True)
        last_wrote = (
            f"{human_since(conversation.last_inbound_at, now)} ago"
            if conversation.last_inbound_at
            else "more than a day ago"
        )
        reason = format_html(
            "The 24-hour window is closed: the customer last wrote {}. WhatsApp only delivers "
            "an approved template now; free text is locked until they reply.",
            last_wrote,
        )
        # Free text is locked; an approved template is still a reply.
        return Composer(ComposerMode.TEMPLATE, can_reply=True, can_note=True, reason=reason)
    if owner is not None:
        reason = format_html(
            "Owned by <strong>{}</strong> — ask for a handoff to reply.{}",
            owner.name,
            " As a manager you can take it over." if can_manage else "",
        )
        return Composer(ComposerMode.NOTE_ONLY, can_reply=False, can_note=True, reason=reason)
    waiting = (
        f"has been waiting {human_since(conversation.waiting_since, now)}"
        if conversation.waiting_since
        else "is not waiting"
    )
    reason = format_html(
        "Nobody owns this conversation yet. Claim it to reply — the customer {}.", waiting
    )
    claim_and_reply = PaneAction("claim", "Claim and reply", claim.url, primary=True)
    return Composer(
        ComposerMode.UNASSIGNED,
        can_reply=False,
        can_note=False,
        reason=reason,
        claim=claim_and_reply if claim.enabled else None,
    )
