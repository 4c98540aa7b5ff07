"""What the simulator remembers across restarts: how many customers it has created.

Meta remembers who wrote to a number; an in-memory simulator forgets, and a restarted one
would write again as customer #1 into that customer's old conversation. The count is kept
in a small JSON file (the simulator talks to Baton only over HTTP, so it does not read
Baton's contacts to find out).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Next to Baton's own data (settings.DATA_DIR) for ``baton demo`` and ``baton simulate``.
STATE_FILE_NAME = "simulator-customers.json"


def load_last_customer(path: Path | None) -> int:
    """The number of the last customer created by an earlier run (0 when there is none)."""
    if path is None:
        return 0
    try:
        last = json.loads(path.read_text(encoding="utf-8")).get("last_customer", 0)
    except (OSError, ValueError, AttributeError):
        return 0  # no file yet, or not ours: start afresh rather than refuse to run
    return last if isinstance(last, int) and last > 0 else 0


def save_last_customer(path: Path | None, number: int) -> None:
    """Record ``number`` atomically: a simulator killed mid-write leaves the old count."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(json.dumps({"last_customer": number}), encoding="utf-8")
    os.replace(scratch, path)
