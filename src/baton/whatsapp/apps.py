from django.apps import AppConfig

from baton.core.periodic import register_periodic_job, register_thread_exit_hook


class WhatsappConfig(AppConfig):
    name = "baton.whatsapp"
    label = "whatsapp"

    def ready(self) -> None:
        # local import: tasks import models, which are not loaded before ready()
        from baton.core.actions import register_abandoned_task_handler
        from baton.whatsapp.graph import close_thread_client
        from baton.whatsapp.tasks import download_media, fail_abandoned_download, sweep_outbound

        register_abandoned_task_handler(download_media, fail_abandoned_download)
        register_periodic_job(30.0, sweep_outbound.enqueue)
        register_thread_exit_hook(close_thread_client)
