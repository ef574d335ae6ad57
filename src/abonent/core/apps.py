from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "abonent.core"
    label = "core"
    verbose_name = _("Organisation and kernel")

    def ready(self) -> None:
        from abonent.core.maintenance import register_append_only_table

        register_append_only_table(
            table="core_auditevent", migration_module="abonent.core.migrations.0003_federal_calendar"
        )
