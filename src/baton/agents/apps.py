from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "baton.agents"
    label = "agents"

    def ready(self) -> None:
        # local import: signals import models, which are not loaded before ready()
        from baton.agents.signals import connect_signals

        connect_signals()
