from django.apps import AppConfig

from baton.core.periodic import register_periodic_job


class BotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "baton.bots"
    label = "bots"
    verbose_name = "Bot flows"

    def ready(self) -> None:
        # local import: reactions import models, which are not loaded before ready()
        from baton.bots.reactions import register_reactions
        from baton.bots.tasks import fire_bot_timeouts

        register_reactions()
        register_periodic_job(5.0, fire_bot_timeouts.enqueue)
