from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "baton.simulator"
    label = "simulator"
