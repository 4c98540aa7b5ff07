from django.apps import AppConfig

from baton.core.periodic import register_periodic_job


class RoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "baton.routing"
    label = "routing"

    def ready(self) -> None:
        # local import: reactions import models, which are not loaded before ready()
        from baton.routing.reactions import register_reactions
        from baton.routing.tasks import scan_routing, scan_stale_conversations

        register_reactions()
        register_periodic_job(15.0, scan_stale_conversations.enqueue)
        register_periodic_job(15.0, scan_routing.enqueue)
