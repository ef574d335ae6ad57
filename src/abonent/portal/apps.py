from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "abonent.portal"
    label = "portal"
