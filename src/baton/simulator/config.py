"""Simulator settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SimNumber:
    """A business number the fake Graph API knows, with the token it accepts."""

    phone_number_id: str
    display_phone_number: str
    waba_id: str
    access_token: str


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    body_params: int


DEFAULT_TEMPLATES = (
    Template("hello_world", "en_US", 0),
    Template("order_update", "en_US", 2),
    Template("follow_up", "en_US", 1),
)


@dataclass
class SimulatorConfig:
    webhook_url: str
    app_secret: str
    numbers: list[SimNumber]
    host: str = "127.0.0.1"
    port: int = 8081
    templates: tuple[Template, ...] = DEFAULT_TEMPLATES
    # Meta's limits (PROTOCOL §6): 80 messages/s per number; 1 message / 6 s per customer
    # with bursts of up to 45.
    throughput_per_second: int = 80
    pair_burst: int = 45
    pair_refill_seconds: float = 6.0
    # Webhook delivery behaviour (PROTOCOL §3).
    duplicate_probability: float = 0.02
    reorder_probability: float = 0.15
    skip_delivered_probability: float = 0.05
    status_delay_seconds: tuple[float, float] = (0.2, 1.2)
    webhook_retry_base_seconds: float = 1.0
    webhook_max_attempts: int = 10
    batch_max: int = 5
    # Customers are numbered from ``first_customer``, or after the last one recorded in
    # ``state_file`` by an earlier run (see simulator.state).
    customers: int = 0
    first_customer: int = 1
    state_file: Path | None = None
    rate_per_minute: float = 6.0
    answer_timeout_seconds: float = 120.0
    # After its script, a customer keeps answering a bot's prompts this long (a closing
    # flow's rating once the agent resolved).
    linger_seconds: float = 600.0
    typing_seconds: tuple[float, float] = (2.0, 6.0)
    seed: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def number(self, phone_number_id: str) -> SimNumber | None:
        return next((n for n in self.numbers if n.phone_number_id == phone_number_id), None)


DEMO_VERIFY_TOKEN = "demo-verify-token"  # noqa: S105 -- a local default, printed for Baton


def baton_environment(config: SimulatorConfig, graph_base_url: str) -> dict[str, str]:
    """What ``baton serve`` must be started with to accept this simulator's webhooks (the
    signing secret) and to send through it (its Graph API, number id and token)."""
    number = config.numbers[0]
    return {
        "WHATSAPP_APP_SECRET": config.app_secret,
        "WHATSAPP_VERIFY_TOKEN": os.environ.get("WHATSAPP_VERIFY_TOKEN") or DEMO_VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": graph_base_url,
        "WHATSAPP_PHONE_NUMBER_ID": number.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": number.access_token,
    }


def from_env() -> SimulatorConfig:
    """Configuration for ``baton simulate`` from the environment (see README)."""
    phone_number_id = os.environ.get("WHATSAPP_PHONE_NUMBER_ID") or "100000000000001"
    return SimulatorConfig(
        webhook_url=os.environ.get("BATON_WEBHOOK_URL", "http://127.0.0.1:8000/webhooks/whatsapp"),
        app_secret=os.environ.get("WHATSAPP_APP_SECRET") or "demo-app-secret",
        numbers=[
            SimNumber(
                phone_number_id=phone_number_id,
                display_phone_number=os.environ.get("SIMULATOR_DISPLAY_NUMBER", "15550100001"),
                waba_id=os.environ.get("SIMULATOR_WABA_ID", "900000000000001"),
                access_token=os.environ.get("WHATSAPP_ACCESS_TOKEN") or "demo-token-shop",
            )
        ],
        port=int(os.environ.get("SIMULATOR_PORT", "8081")),
    )
