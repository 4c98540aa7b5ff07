"""``baton deadletters list|replay``: what the webhook could not apply, and applying it later."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from baton.whatsapp.actions import StorageUnavailable, do_replay_dead_letter
from baton.whatsapp.models import DeadLetter, ReplayOutcome, describe_replays
from baton.whatsapp.queries import get_dead_letters

_RELATIVE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def since_argument(value: str) -> datetime:
    """``2025-06-01``, ``2025-06-01T12:00``, or a span back from now: ``30m``, ``6h``, ``2d``."""
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = relative.groups()
        return timezone.now() - timedelta(**{_UNITS[unit]: int(amount)})
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(f"not a date, a date-time or a span like 6h: {value!r}")
        moment = datetime.combine(day, time.min)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "List dead letters, or replay them through the webhook intake."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name, help_text in (
            ("list", "Show dead letters, oldest first."),
            ("replay", "Run dead letters through the webhook intake again."),
        ):
            sub = actions.add_parser(name, help=help_text)
            sub.add_argument(
                "--id", type=int, action="append", dest="ids", default=[], help="Repeatable."
            )
            sub.add_argument(
                "--reason",
                action="append",
                dest="reasons",
                default=[],
                choices=DeadLetter.Reason.values,
                help="Repeatable.",
            )
            sub.add_argument(
                "--since",
                type=since_argument,
                help="Created at or after: a date, a date-time, or a span back (30m, 6h, 2d).",
            )
        actions.choices["list"].add_argument(
            "--limit", type=int, default=100, help="At most this many (default 100)."
        )
        actions.choices["replay"].add_argument(
            "--again",
            action="store_true",
            help="Also replay letters a previous replay already applied (--id always does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(options)
        else:
            self._replay(options)

    def _list(self, options: dict[str, Any]) -> None:
        letters = get_dead_letters(
            ids=options["ids"], reasons=options["reasons"], since=options["since"]
        )
        total = letters.count()
        for letter in letters[: options["limit"]]:
            replayed = (
                f"replayed {letter.replayed_at:%Y-%m-%d %H:%M} ({letter.replay_outcome})"
                if letter.replayed_at
                else "not replayed"
            )
            self.stdout.write(
                f"#{letter.pk}  {letter.created_at:%Y-%m-%d %H:%M:%S}  {letter.reason:<17}  "
                f"{letter.phone_number_id or '-':<16}  {replayed}  {letter.detail[:80]}"
            )
        shown = min(total, options["limit"])
        self.stdout.write(f"{total} dead letter(s){f', {shown} shown' if shown < total else ''}.")

    def _replay(self, options: dict[str, Any]) -> None:
        letters = list(
            get_dead_letters(
                ids=options["ids"],
                reasons=options["reasons"],
                since=options["since"],
                unresolved_only=not (options["ids"] or options["again"]),
            )
        )
        if not letters:
            self.stdout.write("No dead letters to replay.")
            return
        counts = dict.fromkeys(ReplayOutcome, 0)
        for number, letter in enumerate(letters, start=1):
            try:
                report = do_replay_dead_letter(letter)
            except StorageUnavailable as exc:
                raise CommandError(
                    f"{exc}: stopped after {number - 1} of {len(letters)}; run it again later."
                ) from exc
            counts[report.outcome] += 1
            self.stdout.write(
                f"[{number}/{len(letters)}] #{letter.pk} {letter.reason}: "
                f"{report.outcome.label.lower()} ({report.detail})"
            )
        style = self.style.SUCCESS if not counts[ReplayOutcome.FAILED] else self.style.WARNING
        self.stdout.write(
            style(f"Replayed {len(letters)} dead letter(s): {describe_replays(counts)}.")
        )
