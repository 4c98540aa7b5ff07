"""In-process counters of webhook deliveries, for ``/metrics`` (``dashboard.metrics``).

A refused delivery (bad signature, not JSON, too large) stores nothing by design, so it
cannot be counted from the database; these count what this process answered. With several
``baton serve`` processes, scrape each of them (or sum them in Prometheus).
"""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK_DELIVERIES = Counter(
    "baton_webhook_deliveries",
    "Webhook POSTs answered by this process: accepted (200, stored), refused (4xx: "
    "signature, JSON, size) or unavailable (503, Meta redelivers).",
    ["outcome"],
)
for _outcome in ("accepted", "refused", "unavailable"):
    WEBHOOK_DELIVERIES.labels(_outcome)


def count_webhook(status: int) -> None:
    """Count one answered webhook POST by its status code."""
    if status == 200:
        outcome = "accepted"
    elif status == 503:
        outcome = "unavailable"
    else:
        outcome = "refused"
    WEBHOOK_DELIVERIES.labels(outcome).inc()
