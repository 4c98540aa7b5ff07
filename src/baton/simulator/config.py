"""Simulator settings: one dataclass, filled from code (tests, demo) or the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/webhooks/whatsapp"
DEFAULT_PORT = 8081


@dataclass(frozen=True)
class SimNumber:
    """A business number the fake Graph API knows, with the one token it accepts for it."""

    phone_number_id: str
    display_phone_number: str
    waba_id: str
    access_token: str


@dataclass(frozen=True)
class ApprovedTemplate:
    """A template the fake WABA has approved: sends must match name, language and body params."""

    name: str
    language: str
    body_params: int
    category: str = "utility"


# The earlier name, still used by callers that build their own template lists.
Template = ApprovedTemplate

DEFAULT_TEMPLATES: tuple[ApprovedTemplate, ...] = (
    ApprovedTemplate("hello_world", "en_US", 0),
    ApprovedTemplate("order_update", "en_US", 2),
    ApprovedTemplate("follow_up", "en_US", 1),
    ApprovedTemplate("spring_sale", "en_US", 1, category="marketing"),
)


@dataclass
class SimulatorConfig:
    """Everything that shapes one simulator run.

    Mutable on purpose: tests and ``POST /_sim/config`` retarget a running simulator (for
    example ``webhook_url`` once Baton's live server is up), and every reader looks the value
    up at the moment it needs it.
    """

    webhook_url: str
    app_secret: str
    numbers: list[SimNumber]
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # What the simulator calls itself in media URLs; empty means http://host:port.
    public_base_url: str = ""
    verify_token: str = ""
    templates: tuple[ApprovedTemplate, ...] = DEFAULT_TEMPLATES
    # Meta's limits (PROTOCOL §6): 80 messages/s per number; one business number to one
    # customer: one message per 6 s sustained, bursts of up to 45 borrow future quota.
    throughput_per_second: int = 80
    pair_burst: int = 45
    pair_interval_seconds: float = 6.0
    max_text_length: int = 4096
    # Status webhooks after an accepted send (PROTOCOL §3, §4.7).
    auto_statuses: bool = True
    status_delay_seconds: tuple[float, float] = (0.2, 1.2)
    reorder_probability: float = 0.1
    skip_delivered_probability: float = 0.05
    status_contacts: bool = True
    # Webhook delivery (PROTOCOL §2, §3).
    duplicate_probability: float = 0.02
    webhook_retry_base_seconds: float = 1.0
    webhook_retry_max_seconds: float = 60.0
    webhook_max_attempts: int = 15
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 8
    batch_max: int = 20
    batch_window_seconds: float = 0.0
    # Simulated customers.
    customers: int = 0
    rate_per_minute: float = 6.0
    answer_timeout_seconds: float = 120.0
    think_seconds: tuple[float, float] = (2.0, 6.0)
    bsuid_only_every: int = 4
    seed: int | None = None
    report_every_seconds: float = 5.0
    extra: dict[str, str] = field(default_factory=dict)

    def number(self, phone_number_id: str) -> SimNumber | None:
        return next((n for n in self.numbers if n.phone_number_id == phone_number_id), None)

    def template(self, name: str, language: str) -> ApprovedTemplate | None:
        return next((t for t in self.templates if t.name == name and t.language == language), None)

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        # A wildcard bind address is not something a client can connect to.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def graph_base_url(self) -> str:
        """What Baton's ``WHATSAPP_API_BASE_URL`` should be."""
        return f"{self.base_url}/v23.0"


# Knobs that ``POST /_sim/config`` may change on a running simulator, with their types.
TUNABLE_FIELDS: dict[str, type] = {
    "webhook_url": str,
    "verify_token": str,
    "throughput_per_second": int,
    "pair_burst": int,
    "pair_interval_seconds": float,
    "max_text_length": int,
    "auto_statuses": bool,
    "status_delay_seconds": tuple,
    "reorder_probability": float,
    "skip_delivered_probability": float,
    "status_contacts": bool,
    "duplicate_probability": float,
    "webhook_retry_base_seconds": float,
    "webhook_max_attempts": int,
    "batch_max": int,
    "batch_window_seconds": float,
    "answer_timeout_seconds": float,
    "rate_per_minute": float,
}


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "")
    return float(raw) if raw.strip() else default


def from_env(env: Mapping[str, str] | None = None) -> SimulatorConfig:
    """Configuration for ``baton simulate`` from environment variables.

    The WhatsApp variables are the ones Baton itself reads, so one ``.env`` serves both
    processes and the signatures and tokens agree.
    """
    env = os.environ if env is None else env
    seed = env.get("SIMULATOR_SEED", "").strip()
    return SimulatorConfig(
        webhook_url=env.get("BATON_WEBHOOK_URL") or DEFAULT_WEBHOOK_URL,
        app_secret=env.get("WHATSAPP_APP_SECRET") or "demo-app-secret",
        verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
        numbers=[
            SimNumber(
                phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID") or "100000000000001",
                display_phone_number=env.get("SIMULATOR_DISPLAY_PHONE_NUMBER") or "15550100001",
                waba_id=env.get("SIMULATOR_WABA_ID") or "900000000000001",
                access_token=env.get("WHATSAPP_ACCESS_TOKEN") or "demo-token-shop",
            )
        ],
        host=env.get("SIMULATOR_HOST") or "127.0.0.1",
        port=int(env.get("SIMULATOR_PORT") or DEFAULT_PORT),
        public_base_url=env.get("SIMULATOR_PUBLIC_URL", ""),
        throughput_per_second=int(env.get("SIMULATOR_THROUGHPUT") or 80),
        pair_burst=int(env.get("SIMULATOR_PAIR_BURST") or 45),
        pair_interval_seconds=_float(env, "SIMULATOR_PAIR_INTERVAL", 6.0),
        duplicate_probability=_float(env, "SIMULATOR_DUPLICATE_PROBABILITY", 0.02),
        reorder_probability=_float(env, "SIMULATOR_REORDER_PROBABILITY", 0.1),
        webhook_retry_base_seconds=_float(env, "SIMULATOR_WEBHOOK_RETRY_BASE", 1.0),
        customers=int(env.get("SIMULATOR_CUSTOMERS") or 0),
        rate_per_minute=_float(env, "SIMULATOR_RATE", 6.0),
        answer_timeout_seconds=_float(env, "SIMULATOR_ANSWER_TIMEOUT", 120.0),
        seed=int(seed) if seed else None,
    )
