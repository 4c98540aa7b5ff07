"""Which customer messages need no answer: the pure multilingual rule of ``sla.clock``, and
what features above SLA add (assist's model registers its "thanks" intent here in
``AssistConfig.ready()``; SLA never imports it)."""

from __future__ import annotations

from collections.abc import Callable

from baton.sla.clock import is_acknowledgement

AcknowledgementCheck = Callable[[str | None], bool]
_checks: list[AcknowledgementCheck] = []


def register_acknowledgement_check(check: AcknowledgementCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def needs_no_answer(text: str | None, *, is_reaction: bool = False) -> bool:
    """True for "ok", "gracias", "👍", a reaction — or what a registered check recognises."""
    if is_acknowledgement(text, is_reaction=is_reaction):
        return True
    return any(check(text) for check in _checks)
