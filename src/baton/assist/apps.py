from django.apps import AppConfig

from baton.core.periodic import register_periodic_job


class AssistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "baton.assist"
    label = "assist"
    verbose_name = "Assist"

    def ready(self) -> None:
        # local import: these import models, which are not loaded before ready()
        from baton.assist.queries import is_thanks
        from baton.assist.reactions import register_reactions
        from baton.assist.tasks import refresh_model
        from baton.sla.acknowledgements import register_acknowledgement_check

        register_reactions()
        # The model's "thanks" also needs no answer: the SLA's next-response clock stays off.
        register_acknowledgement_check(is_thanks)
        # The worker trains the model at first start and retrains after corrections, so
        # neither a request nor the ingest waits for a training.
        register_periodic_job(60.0, refresh_model.enqueue)
