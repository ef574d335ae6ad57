from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Outbound messages to customers on every channel, through one outbox."""

    name = "abonent.messaging"
    label = "messaging"
    verbose_name = _("Messages to customers")
