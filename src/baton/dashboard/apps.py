from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "baton.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard and reports"
