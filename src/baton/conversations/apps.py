from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "baton.conversations"
    label = "conversations"
