from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from baton.core.admin import AuditedAdmin
from baton.whatsapp.actions import StorageUnavailable, do_replay_dead_letter
from baton.whatsapp.models import (
    DeadLetter,
    Inbox,
    MessageTemplate,
    ReplayOutcome,
    describe_replays,
)


@admin.register(Inbox)
class InboxAdmin(AuditedAdmin):
    list_display = ("name", "display_phone_number", "phone_number_id", "is_active")


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "reason",
        "phone_number_id",
        "detail",
        "replayed_at",
        "replay_outcome",
    )
    list_filter = ("reason", "replay_outcome")
    readonly_fields = (
        "created_at",
        "replayed_at",
        "replay_count",
        "replay_outcome",
        "replay_detail",
    )
    actions = ["replay_selected"]

    @admin.action(description="Replay selected", permissions=["change"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        counts = dict.fromkeys(ReplayOutcome, 0)
        for letter in queryset.order_by("created_at", "pk"):
            try:
                report = do_replay_dead_letter(letter)
            except StorageUnavailable as exc:
                self.message_user(request, f"Stopped: {exc}. Try again later.", messages.ERROR)
                return
            counts[report.outcome] += 1
        self.message_user(
            request,
            f"Replayed {sum(counts.values())}: {describe_replays(counts)} "
            "(see each letter's replay detail).",
            messages.WARNING if counts[ReplayOutcome.FAILED] else messages.SUCCESS,
        )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdmin):
    list_display = ("name", "language", "status", "body")
    list_filter = ("status", "language")
    search_fields = ("name", "body")
