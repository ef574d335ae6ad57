from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "abonent.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from abonent.core.maintenance import register_append_only_table

        register_append_only_table(
            table="billing_ledgerentry",
            migration_module="abonent.billing.migrations.0002_reference_data_and_append_only_ledger",
        )
