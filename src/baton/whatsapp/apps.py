from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "baton.whatsapp"
    label = "whatsapp"
