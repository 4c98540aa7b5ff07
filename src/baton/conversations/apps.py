from django.apps import AppConfig

from baton.core.changes import ConfigurationChanged
from baton.core.reactions import Slot, register


class ConversationsConfig(AppConfig):
    name = "baton.conversations"
    label = "conversations"

    def ready(self) -> None:
        # local import: the audit module imports models, which are not loaded before ready()
        from baton.conversations.audit import record_announced_config_change

        register(ConfigurationChanged, record_announced_config_change, Slot.AUDIT)
