"""Admin for billing configuration (tariffs, norms, key rates, caps, moratoria, scales, due rules)
and a read-only view of the ledger: a posted entry is corrected by a new entry, never edited."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abonent.billing.errors import InvalidTariff
from abonent.billing.models import (
    BillDelivery,
    ConsumptionNorm,
    KeyRate,
    LedgerEntry,
    PaymentDueRule,
    PenaltyMoratorium,
    PenaltyRateCap,
    PenaltyScale,
    Tariff,
    TariffRate,
)
from abonent.billing.services.tariffs import RateTerms, TariffTerms, check_terms


class TariffRateFormSet(BaseInlineFormSet):
    """Refuse prices that do not fit the tariff's kind (one price, one per zone, rising blocks)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rates = sorted(
            (
                RateTerms(
                    zone=f.cleaned_data["zone"],
                    block_up_to=f.cleaned_data.get("block_up_to"),
                    price=f.cleaned_data["price"],
                )
                for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ),
            key=lambda r: (r.zone, r.block_up_to is None, r.block_up_to or Decimal(0)),
        )
        try:
            check_terms(TariffTerms(kind=self.instance.kind, rates=tuple(rates)))
        except InvalidTariff as exc:
            raise ValidationError(exc.message) from exc


class TariffRateInline(admin.TabularInline):
    model = TariffRate
    formset = TariffRateFormSet
    fields = ["zone", "block_up_to", "price"]
    extra = 0


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["service", "region_code", "category", "kind", "valid_from", "valid_until", "name"]
    list_filter = ["category", "kind", "region_code", "service"]
    list_select_related = ["service"]
    search_fields = ["name", "service__name", "=region_code"]
    date_hierarchy = "valid_from"
    inlines = [TariffRateInline]


@admin.register(ConsumptionNorm)
class ConsumptionNormAdmin(admin.ModelAdmin):
    list_display = [
        "service",
        "region_code",
        "category",
        "variant",
        "value",
        "basis",
        "raising_factor",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["category", "basis", "region_code", "service"]
    list_select_related = ["service"]
    search_fields = ["service__name", "variant", "=region_code"]


@admin.register(KeyRate)
class KeyRateAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "rate", "decision"]
    date_hierarchy = "valid_from"


@admin.register(PenaltyRateCap)
class PenaltyRateCapAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "valid_until", "cap", "basis"]


@admin.register(PenaltyMoratorium)
class PenaltyMoratoriumAdmin(admin.ModelAdmin):
    list_display = ["starts_on", "ends_on", "category", "basis"]


@admin.register(PenaltyScale)
class PenaltyScaleAdmin(admin.ModelAdmin):
    list_display = [
        "category",
        "valid_from",
        "free_days",
        "first_denominator",
        "first_until_day",
        "later_denominator",
    ]
    list_filter = ["category"]


@admin.register(PaymentDueRule)
class PaymentDueRuleAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "organisation", "due_day", "bill_delivery_day", "basis"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]


@admin.register(BillDelivery)
class BillDeliveryAdmin(admin.ModelAdmin):
    list_display = ["account", "period", "delivered_on", "deadline", "channel"]
    list_select_related = ["account"]
    search_fields = ["account__number__startswith"]
    autocomplete_fields = ["account"]
    date_hierarchy = "period"
    show_full_result_count = False


LEDGER_FIELDS = (
    "account",
    "service",
    "period",
    "kind",
    "component",
    "amount",
    "occurred_on",
    "posted_at",
    "reason",
    "source",
    "idempotency_key",
    "group_key",
    "corrects",
    "posted_by",
)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """The ledger, read-only: entries are posted by services, and corrected only by new entries."""

    list_display = ["occurred_on", "account", "service", "period", "kind", "component", "amount", "source"]
    list_filter = ["kind", "component", "source", ("occurred_on", admin.DateFieldListFilter)]
    list_select_related = ["account", "service"]
    search_fields = ["account__number__startswith", "=idempotency_key", "=group_key"]
    search_help_text = _("Account number (beginning), idempotency key or operation key (exact).")
    show_full_result_count = False
    ordering = ["-id"]
    fields = readonly_fields = LEDGER_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LedgerEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LedgerEntry | None = None) -> bool:
        return False
