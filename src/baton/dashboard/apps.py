from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The manager's live board and the reports: read-only over the other apps."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "baton.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard and reports"
