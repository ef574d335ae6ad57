from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HintsConfig(AppConfig):
    """Hints on the cabinet's dashboard, from rules the utility's staff configure as data."""

    name = "abonent.hints"
    label = "hints"
    verbose_name = _("Dashboard hints")
