from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "baton.core"
    label = "core"
