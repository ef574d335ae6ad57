from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo utility generator: sits above every domain app, like the portal and the console."""

    name = "abonent.demo"
    label = "demo"
