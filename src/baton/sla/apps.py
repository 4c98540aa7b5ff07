from django.apps import AppConfig

from baton.core.periodic import register_periodic_job


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "baton.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        # local import: reactions import models, which are not loaded before ready()
        from baton.sla.reactions import register_reactions
        from baton.sla.tasks import predict_breaches, scan_sla

        register_reactions()
        register_periodic_job(5.0, scan_sla.enqueue)
        register_periodic_job(15.0, predict_breaches.enqueue)
