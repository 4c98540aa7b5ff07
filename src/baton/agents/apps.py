from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "baton.agents"
    label = "agents"

    def ready(self) -> None:
        from baton.agents.signals import connect_signals

        connect_signals()
