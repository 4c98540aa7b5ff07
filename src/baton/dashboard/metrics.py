"""``/metrics`` for operators, in Prometheus' text format (``prometheus-client``).

Everything that lives in the database is read from it at scrape time by ``BatonCollector``,
so every process answers the same totals whichever one Prometheus reaches:

- gauges: queue depth and oldest waiting per team (``dashboard.definitions.QUEUED``, the
  board's own number), task queue lag (``core.queries.get_worker_health``, as /healthz);
- counters read from rows: SLA breaches (``sla.SlaRecord`` kind ``breach``), outbound
  messages sent and failed (``conversations.Message`` delivery states).

Only webhook deliveries are counted in the process (``whatsapp.counters``): a refused one
stores nothing to count.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, F, Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from baton.agents.models import Team
from baton.conversations.models import Conversation, DeliveryStatus, Message
from baton.core.queries import get_worker_health
from baton.dashboard.definitions import QUEUED
from baton.sla.models import RecordKind, SlaRecord

# Registers the webhook counters in the default registry, whoever imported it first.
from baton.whatsapp import counters as _webhook_counters  # noqa: F401

# Accepted by WhatsApp, whatever happened after (delivered, read …). Only outbound messages
# ever reach these states (inbound ones stay "received"), which lets the count use the
# (status, next_attempt_at) index alone.
SENT_STATES = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.PLAYED,
)


class BatonCollector(Collector):
    """Reads the numbers at scrape time: five small aggregate queries."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        depth = GaugeMetricFamily(
            "baton_queue_depth", "Conversations waiting for a human, per team.", labels=["team"]
        )
        oldest = GaugeMetricFamily(
            "baton_oldest_waiting_seconds",
            "Age of the longest-waiting queued conversation, per team (0 if none).",
            labels=["team"],
        )
        queued = {
            row["team_id"]: row
            for row in Conversation.objects.filter(QUEUED, team__isnull=False)
            .values("team_id")
            .annotate(n=Count("pk"), since=Min(Coalesce(F("waiting_since"), F("created_at"))))
            .order_by()
        }
        for team_id, name in Team.objects.order_by("name").values_list("pk", "name"):
            row = queued.get(team_id)
            depth.add_metric([name], row["n"] if row else 0)
            waited = (now - row["since"]).total_seconds() if row else 0.0
            oldest.add_metric([name], max(waited, 0.0))
        yield depth
        yield oldest

        health = get_worker_health()
        yield GaugeMetricFamily(
            "baton_task_queue_lag_seconds",
            "How long the oldest task that is due has waited for a worker (0 if none).",
            value=health.oldest_ready_seconds or 0.0,
        )
        yield GaugeMetricFamily(
            "baton_tasks_ready", "Tasks due and waiting for a worker.", value=health.ready_tasks
        )

        breaches = CounterMetricFamily(
            "baton_sla_breaches", "SLA deadlines passed unanswered, per metric.", labels=["metric"]
        )
        counts = dict(
            SlaRecord.objects.filter(kind=RecordKind.BREACH)
            .values("metric")
            .annotate(n=Count("pk"))
            .values_list("metric", "n")
            .order_by()
        )
        for metric in ("first_response", "next_response", "resolution"):
            breaches.add_metric([metric], counts.get(metric, 0))
        yield breaches

        outbound = CounterMetricFamily(
            "baton_outbound_messages",
            "Outbound messages accepted by WhatsApp (sent) or failed for good.",
            labels=["outcome"],
        )
        by_status = dict(
            Message.objects.filter(status__in=[*SENT_STATES, DeliveryStatus.FAILED])
            .values("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
            .order_by()
        )
        outbound.add_metric(["sent"], sum(by_status.get(s, 0) for s in SENT_STATES))
        outbound.add_metric(["failed"], by_status.get(DeliveryStatus.FAILED, 0))
        yield outbound


_registry: CollectorRegistry | None = None


def _scrape_registry() -> CollectorRegistry:
    """The process's default registry (webhook counters, process metrics) plus ours,
    registered once."""
    global _registry
    if _registry is None:
        REGISTRY.register(BatonCollector())
        _registry = REGISTRY
    return _registry


def render_metrics() -> tuple[bytes, str]:
    """The scrape body and its content type."""
    return generate_latest(_scrape_registry()), CONTENT_TYPE_LATEST
