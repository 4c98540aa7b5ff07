"""Customers, the conversations Baton holds with them, and every message in them."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from baton.agents import models as agents_models

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


class Contact(models.Model):
    """A WhatsApp user. Identity is the BSUID (``user_id``) when known, else ``wa_id``."""

    user_id = models.CharField("BSUID", max_length=128, null=True, blank=True, unique=True)
    parent_user_id = models.CharField(max_length=128, blank=True)
    wa_id = models.CharField(max_length=32, null=True, blank=True, unique=True)
    username = models.CharField(max_length=128, blank=True)
    profile_name = models.CharField(max_length=256, blank=True)
    # What we know about the customer (CRM fields, a bot's answers) and how we tag them;
    # routing rules read both (contact.attributes.<key>, contact.labels).
    attributes = models.JSONField(default=dict, blank=True)
    labels = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user_id__isnull=False) | Q(wa_id__isnull=False),
                name="contact_has_an_identity",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.profile_name or self.username or self.phone or self.user_id or "Unknown"

    @property
    def phone(self) -> str:
        return f"+{self.wa_id}" if self.wa_id else ""

    @property
    def send_address(self) -> str:
        """What to put in ``to``: the phone when known (E.164 with +), else the BSUID."""
        return self.phone or self.user_id or ""


class ConversationStatus(models.TextChoices):
    BOT = "bot", "With a bot"
    QUEUED = "queued", "Unassigned"
    ASSIGNED = "assigned", "Assigned"
    PENDING = "pending", "Waiting on customer"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = [s for s in ConversationStatus if s != ConversationStatus.RESOLVED]


class Priority(models.IntegerChoices):
    LOW = 0, "Low"
    NORMAL = 1, "Normal"
    HIGH = 2, "High"
    URGENT = 3, "Urgent"


# How the assignment engine picks an agent; blank on a conversation = its team's default.
AssignmentStrategy = agents_models.AssignmentStrategy


class Conversation(models.Model):
    """A thread between one contact and one inbox, with exactly one owner at a time."""

    inbox = models.ForeignKey(
        "whatsapp.Inbox", on_delete=models.PROTECT, related_name="conversations"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(
        max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.QUEUED
    )
    # The single owner: a human agent or a bot (agents.User with role=bot). NULL = unassigned.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_conversations",
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    priority = models.IntegerField(choices=Priority.choices, default=Priority.NORMAL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    window_ends_at = models.DateTimeField(
        null=True, blank=True, help_text="End of the 24-hour customer-service window."
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    last_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who owned it last (a returning customer goes back to them).",
    )
    waiting_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Since when the customer waits for us (first unanswered inbound); NULL if not.",
    )
    last_message_preview = models.CharField(max_length=200, blank=True)
    # Routing: set by the rule that matched when the conversation was opened (see
    # routing.rule_actions.do_apply_routing_rules); the assignment engine reads the last two.
    labels = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(
        default=dict, blank=True, help_text="Fields collected by a bot (name, order number …)."
    )
    language = models.CharField(max_length=16, blank=True)
    # Assist (a feature app) classifies inbound messages after commit and keeps its answer
    # here, where routing rules, bots and the pane read it; blank until it has run.
    intent = models.CharField(max_length=32, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    language_detected = models.BooleanField(
        default=False, help_text="The language was detected by assist (so it may update it)."
    )
    routing_rule = models.ForeignKey(
        "routing.RoutingRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        help_text="The rule that routed this conversation when it was opened.",
    )
    preferred_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A rule asked for this agent; the assignment engine tries them first.",
    )
    assignment_strategy = models.CharField(
        max_length=16, choices=AssignmentStrategy.choices, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "contact"],
                condition=~Q(status=ConversationStatus.RESOLVED),
                name="one_open_conversation_per_contact_and_inbox",
            )
        ]
        indexes = [
            models.Index(fields=["status", "-last_message_at"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["team", "status"]),
            # Reports count the conversations opened in a range (dashboard.reports).
            models.Index(fields=["created_at"], name="conversation_created_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.contact} via {self.inbox.name}"

    @property
    def is_open(self) -> bool:
        return self.status != ConversationStatus.RESOLVED

    def window_is_open(self, now) -> bool:
        return self.window_ends_at is not None and now < self.window_ends_at


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the customer"
    OUTBOUND = "outbound", "To the customer"
    NOTE = "note", "Internal note"
    ACTIVITY = "activity", "Activity"


class MessageType(models.TextChoices):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    EDIT = "edit"
    REVOKE = "revoke"
    TEMPLATE = "template"
    UNSUPPORTED = "unsupported"


MEDIA_TYPES = {
    MessageType.IMAGE,
    MessageType.VIDEO,
    MessageType.AUDIO,
    MessageType.DOCUMENT,
    MessageType.STICKER,
}


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    PLAYED = "played", "Played"
    FAILED = "failed", "Failed"


# Statuses only move up this ladder (Meta reorders webhooks: a late `delivered` after
# `read` must change nothing). `failed` is terminal.
STATUS_RANK = {
    DeliveryStatus.RECEIVED: 0,
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
    DeliveryStatus.PLAYED: 5,
    DeliveryStatus.FAILED: 9,
}


class MediaState(models.TextChoices):
    NONE = "none", "No media"
    PENDING = "pending", "Downloading"
    READY = "ready", "Stored"
    FAILED = "failed", "Download failed"


class Message(models.Model):
    """One item of a conversation's timeline: a WhatsApp message, a note or an activity."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=16, choices=Direction.choices)
    type = models.CharField(max_length=16, choices=MessageType.choices, default=MessageType.TEXT)
    wamid = models.CharField(max_length=255, null=True, blank=True, unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True, help_text="Text body or media caption.")
    content = models.JSONField(default=dict, blank=True, help_text="Type-specific fields.")
    context = models.JSONField(default=dict, blank=True, help_text="Reply/forward context.")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    reactions = models.JSONField(default=dict, blank=True)
    # Media
    # Unbounded: an id cut to fit would name some other media, or none.
    media_id = models.TextField(blank=True)
    media_mime_type = models.CharField(max_length=128, blank=True)
    media_sha256 = models.CharField(max_length=128, blank=True)
    media_filename = models.CharField(max_length=255, blank=True)
    media_file = models.FileField(upload_to="whatsapp/%Y/%m/", blank=True)
    media_state = models.CharField(
        max_length=16, choices=MediaState.choices, default=MediaState.NONE
    )
    # Delivery
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    status_rank = models.PositiveSmallIntegerField(default=0)
    error_code = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=255, blank=True)
    error_details = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    request = models.JSONField(default=dict, blank=True, help_text="Graph API body we send.")
    raw = models.JSONField(default=dict, blank=True, help_text="Payload as WhatsApp sent it.")
    timestamp = models.DateTimeField(help_text="When it happened (WhatsApp's time for inbound).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [
            models.Index(fields=["conversation", "timestamp"]),
            models.Index(fields=["status", "next_attempt_at"]),
            # The manager's board: each agent's replies today (benchmarks/dashboard.py).
            models.Index(
                fields=["author", "timestamp"],
                condition=Q(direction="outbound"),
                name="message_replies_by_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.type} {self.wamid or self.pk}"

    @property
    def is_customer_visible(self) -> bool:
        return self.direction in (Direction.INBOUND, Direction.OUTBOUND)


class EventKind(models.TextChoices):
    CLAIMED = "claimed", "Claimed"
    ASSIGNED = "assigned", "Assigned"
    AUTO_ASSIGNED = "auto_assigned", "Assigned by routing"
    OVERFLOWED = "overflowed", "Overflowed to another team"
    HANDOFF_REQUESTED = "handoff_requested", "Handoff requested"
    HANDOFF_ACCEPTED = "handoff_accepted", "Handoff accepted"
    HANDOFF_DECLINED = "handoff_declined", "Handoff declined"
    HANDOFF_EXPIRED = "handoff_expired", "Handoff expired"
    HANDED_TO_TEAM = "handed_to_team", "Handed to a team"
    RELEASED = "released", "Released to the queue"
    TAKEN_OVER = "taken_over", "Taken over"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    SNOOZED = "snoozed", "Snoozed"
    WOKE_UP = "woke_up", "Snooze ended"
    PENDING = "pending", "Waiting on customer"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied"
    ALERT = "alert", "Alert"
    CONFIG = "config", "Configuration changed"
    ROUTED = "routed", "Routed by a rule"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"
    LABELED = "labeled", "Labels changed"
    SLA_POLICY = "sla_policy", "SLA policy chosen"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breached"
    BOT_STARTED = "bot_started", "Bot flow started"
    BOT_HANDOFF = "bot_handoff", "Handed off by a bot"
    BOT_RETURNED = "bot_returned", "Returned to a bot"
    CSAT = "csat", "Satisfaction rating"
    INTENT_CORRECTED = "intent_corrected", "Intent corrected"


class AuditEvent(models.Model):
    """Append-only record of every ownership, status and configuration change.

    Rows are only ever inserted (by actions); nothing updates or deletes them. It is both
    the conversation timeline's activity items and the manager's exportable audit log.
    """

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.conversation_id} at {self.created_at:%Y-%m-%d %H:%M}"


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the receiver"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class Handoff(models.Model):
    """An owner's offer of a conversation to a colleague, until accepted or declined."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handoffs"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_sent"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=HandoffStatus.choices, default=HandoffStatus.PENDING
    )
    response_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(status="pending"),
                name="one_pending_handoff_per_conversation",
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return (
            f"handoff #{self.conversation_id} {self.from_user_id}->{self.to_user_id} {self.status}"
        )

    @property
    def seconds_to_respond(self) -> float | None:
        if self.responded_at is None:
            return None
        return (self.responded_at - self.created_at).total_seconds()


class AlertKind(models.TextChoices):
    UNASSIGNED_WAITING = "unassigned_waiting", "Unassigned and waiting"
    OWNER_SILENT = "owner_silent", "Customer waiting on the owner"
    OVERFLOW = "overflow", "Nobody in the team could take it"


class Alert(models.Model):
    """A conversation that went stale; open until the cause goes away."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    level = models.PositiveSmallIntegerField(default=1, help_text="1 = alert, 2 = escalated")
    waiting_since = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "kind"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_alert_per_conversation_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.conversation_id} level {self.level}"


class CannedResponse(models.Model):
    """A saved reply an agent types as ``/shortcut`` in the composer.

    Without a team it is offered to everyone; with one, only to that team's members.
    """

    shortcut = models.SlugField(max_length=40, help_text="Typed as /shortcut in the composer.")
    title = models.CharField(max_length=120)
    text = models.TextField()
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Empty: available to every team.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortcut"]
        constraints = [
            models.UniqueConstraint(fields=["shortcut", "team"], name="one_shortcut_per_team"),
            models.UniqueConstraint(
                fields=["shortcut"],
                condition=Q(team__isnull=True),
                name="one_global_shortcut",
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut}"
