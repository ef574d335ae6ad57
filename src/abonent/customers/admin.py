"""Admin for customers, their addresses and personal accounts (a million rows: no full selects, no counts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abonent.core.admin import PersonalDataAuditAdmin
from abonent.core.normalize import normalize_email, normalize_phone
from abonent.customers.models import (
    Account,
    AccountService,
    Building,
    Contact,
    Customer,
    District,
    Premises,
    Service,
)


def contact_value(term: str) -> str:
    """Return the canonical phone or e-mail that a search term spells, or ""."""
    term = term.strip()
    return normalize_email(term) if "@" in term else normalize_phone(term)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "settlement", "branch"]
    ordering = ["settlement", "name"]
    list_filter = ["branch"]
    list_select_related = ["branch"]
    search_fields = ["name", "settlement"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "postal_code", "district"]
    ordering = ["street", "house"]  # building_street_idx
    list_filter = ["kind"]
    list_select_related = ["district"]
    search_fields = ["street", "=house", "=postal_code", "district__settlement"]
    autocomplete_fields = ["district"]
    show_full_result_count = False


@admin.register(Premises)
class PremisesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "area_m2", "residents"]
    ordering = ["-pk"]
    list_filter = ["kind"]
    list_select_related = ["building__district"]
    search_fields = ["building__street", "=building__house", "=number"]
    autocomplete_fields = ["building"]
    show_full_result_count = False


class ContactForm(forms.ModelForm):
    """Store the contact in the canonical spelling that sign-in, search and deduplication look up."""

    class Meta:
        model = Contact
        fields = ["customer", "kind", "value", "is_primary", "verified_at", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind == Contact.Kind.PHONE and value:
            cleaned["value"] = normalize_phone(value)
            if not cleaned["value"]:
                self.add_error(
                    "value", ValidationError(_("Enter a Russian phone number, e.g. +7 912 345-67-89."))
                )
        elif kind == Contact.Kind.EMAIL and value:
            cleaned["value"] = normalize_email(value)
            try:
                validate_email(cleaned["value"])
            except ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactForm
    fields = ["kind", "value", "is_primary", "verified_at", "note"]
    extra = 0


@admin.register(Customer)
class CustomerAdmin(PersonalDataAuditAdmin):
    list_display = ["display_name", "kind", "inn", "ogrn", "paper_bill", "created_at"]
    ordering = ["-pk"]
    list_filter = ["kind", "paper_bill"]
    search_fields = ["=inn", "=ogrn", "^last_name", "^first_name", "company_name"]
    search_help_text = _(
        "INN or OGRN (exact), last or first name (beginning), company name, phone or e-mail."
    )
    show_full_result_count = False
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "paper_bill"]}),
        (_("Person"), {"fields": ["last_name", "first_name", "middle_name", "birth_date"]}),
        (_("Company"), {"fields": ["company_name"]}),
        (_("Registration"), {"fields": ["inn", "ogrn", "kpp"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [ContactInline]

    @admin.display(description=_("name"))
    def display_name(self, obj: Customer) -> str:
        return obj.display_name

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        value = contact_value(search_term)
        if value:
            results |= queryset.filter(Exists(Contact.objects.filter(customer=OuterRef("pk"), value=value)))
        return results, may_have_duplicates


@admin.register(Contact)
class ContactAdmin(PersonalDataAuditAdmin):
    form = ContactForm
    list_display = ["value", "kind", "customer", "is_primary", "verified_at"]
    ordering = ["-pk"]
    list_filter = ["kind", "is_primary"]
    list_select_related = ["customer"]
    search_fields = ["=value", "^customer__last_name", "customer__company_name"]
    search_help_text = _("Phone or e-mail in any spelling, or the customer's name.")
    autocomplete_fields = ["customer"]
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contact], search_term: str
    ) -> tuple[QuerySet[Contact], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        value = contact_value(search_term)
        if value:
            results |= queryset.filter(value=value)
        return results, may_have_duplicates


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "resource", "unit", "metered"]
    list_filter = ["resource", "metered"]
    search_fields = ["name", "=code"]


class AccountServiceInline(admin.TabularInline):
    model = AccountService
    fields = ["service", "started_on", "ended_on"]
    extra = 0


@admin.register(Account)
class AccountAdmin(PersonalDataAuditAdmin):
    """Accounts; the metering app adds its meters inline (see abonent.metering.admin)."""

    list_display = ["number", "customer", "branch", "status", "opened_on", "closed_on"]
    ordering = ["number"]  # the unique index
    # Branches are a dozen rows: a cheap filter. Customers and premises are a million: search, not filter.
    list_filter = ["status", "branch"]
    list_select_related = ["customer", "branch"]
    search_fields = ["number__startswith", "=customer__inn", "^customer__last_name", "customer__company_name"]
    search_help_text = _(
        "Account number (beginning), customer's INN, last name, company name, phone or e-mail."
    )
    autocomplete_fields = ["customer", "premises"]
    show_full_result_count = False
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AccountServiceInline]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Account], search_term: str
    ) -> tuple[QuerySet[Account], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        value = contact_value(search_term)
        if value:
            contacts = Contact.objects.filter(customer=OuterRef("customer_id"), value=value)
            results |= queryset.filter(Exists(contacts))
        return results, may_have_duplicates
