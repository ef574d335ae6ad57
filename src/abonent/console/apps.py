from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "abonent.console"
    label = "console"
