"""``baton assist train``: train the intent model now (install, upgrade, after a seed edit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from baton.assist.actions import do_retrain_model
from baton.assist.classifier import model_path


class Command(BaseCommand):
    help = "Assist's local AI: `train` trains the intent model from the seed set and corrections."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["train"])

    def handle(self, *args: Any, **options: Any) -> None:
        model = do_retrain_model(force=True)
        evaluation = model["evaluation"]
        self.stdout.write(
            f"Trained intent model revision {model['revision']} on {model['examples']} "
            f"sentences ({model['corrections']} corrections): held-out accuracy "
            f"{evaluation['accuracy']:.3f}, macro-F1 {evaluation['macro_f1']:.3f}. "
            f"Saved to {model_path()}."
        )
