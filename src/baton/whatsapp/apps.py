from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "baton.whatsapp"
    label = "whatsapp"

    def ready(self) -> None:
        from baton.core.actions import register_abandoned_task_handler
        from baton.whatsapp.tasks import download_media, fail_abandoned_download

        register_abandoned_task_handler(download_media, fail_abandoned_download)
