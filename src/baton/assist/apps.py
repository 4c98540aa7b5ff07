from django.apps import AppConfig

from baton.core.periodic import register_periodic_job


class AssistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "baton.assist"
    label = "assist"
    verbose_name = "Assist"

    def ready(self) -> None:
        # local import: reactions import models, which are not loaded before ready()
        from baton.assist.reactions import register_reactions
        from baton.assist.tasks import refresh_model

        register_reactions()
        # The worker trains the model at first start and retrains after corrections, so
        # neither a request nor the ingest waits for a training.
        register_periodic_job(60.0, refresh_model.enqueue)
