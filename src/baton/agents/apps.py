from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "baton.agents"
    label = "agents"
