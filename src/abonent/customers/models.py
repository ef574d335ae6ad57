"""Customers, where they are supplied (addresses, premises) and their personal accounts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from abonent.core.models import Branch, TimeStampedModel
from abonent.core.validators import validate_inn, validate_ogrn


class Resource(models.TextChoices):
    """A physical resource a utility supplies; meters and tariffs are per resource."""

    ELECTRICITY = "electricity", _("Electricity")
    HEAT = "heat", _("Heating")
    HOT_WATER = "hot_water", _("Hot water")
    COLD_WATER = "cold_water", _("Cold water")
    GAS = "gas", _("Gas")
    SEWAGE = "sewage", _("Sewage")
    WASTE = "waste", _("Municipal solid waste")


RESOURCE_UNITS = {
    Resource.ELECTRICITY: "kWh",
    Resource.HEAT: "Gcal",
    Resource.HOT_WATER: "m3",
    Resource.COLD_WATER: "m3",
    Resource.GAS: "m3",
    Resource.SEWAGE: "m3",
    Resource.WASTE: "m3",
}


class District(models.Model):
    """A district of a branch's territory: used for outage notices, routing and print routes."""

    branch = models.ForeignKey(Branch, related_name="districts", on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=200)
    settlement = models.CharField(_("settlement"), max_length=200)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["branch", "settlement", "name"], name="district_unique")
        ]

    def __str__(self) -> str:
        return f"{self.settlement}, {self.name}"


class Building(models.Model):
    """A building (house) with its postal address; premises are inside it."""

    class Kind(models.TextChoices):
        APARTMENT = "apartment", _("Apartment building")
        HOUSE = "house", _("Private house")
        COMMERCIAL = "commercial", _("Non-residential building")

    district = models.ForeignKey(District, related_name="buildings", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    postal_code = models.CharField(_("postal code"), max_length=6, validators=[RegexValidator(r"^\d{6}$")])
    street = models.CharField(_("street"), max_length=200)
    house = models.CharField(_("house"), max_length=20)
    fias_id = models.UUIDField(_("FIAS/GAR id"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        indexes = [models.Index(fields=["street", "house"], name="building_street_idx")]

    def __str__(self) -> str:
        return f"{self.district.settlement}, {self.street}, {self.house}"


class Premises(models.Model):
    """A flat, house or non-residential room where services are supplied."""

    class Kind(models.TextChoices):
        FLAT = "flat", _("Flat")
        HOUSE = "house", _("Private house")
        NON_RESIDENTIAL = "non_residential", _("Non-residential premises")

    building = models.ForeignKey(Building, related_name="premises", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("flat/room number"), max_length=20, blank=True)
    area_m2 = models.DecimalField(_("area, m²"), max_digits=9, decimal_places=2)
    residents = models.PositiveSmallIntegerField(_("registered residents"), default=0)

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")

    def __str__(self) -> str:
        if not self.number:
            return str(self.building)
        flat = _("fl.")
        return f"{self.building}, {flat} {self.number}"


class Customer(TimeStampedModel):
    """The party under contract: a person, a sole proprietor or a legal entity."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        SOLE_PROPRIETOR = "sole_proprietor", _("Sole proprietor")
        LEGAL_ENTITY = "legal_entity", _("Legal entity")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    company_name = models.CharField(_("company name"), max_length=300, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn], db_index=True)
    ogrn = models.CharField(_("OGRN/OGRNIP"), max_length=15, blank=True, validators=[validate_ogrn])
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[RegexValidator(r"^\d{9}$")])
    paper_bill = models.BooleanField(_("wants paper bills"), default=True)
    # Blocking keys for duplicate search (customers.dedup): kept by the services that write names;
    # db_default lets bulk loaders that list their columns leave them out.
    match_name = models.CharField(max_length=200, blank=True, default="", db_default="", editable=False)
    match_block = models.CharField(max_length=60, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
            models.Index(fields=["match_name"], name="customer_match_name_idx"),
            models.Index(fields=["match_block"], name="customer_match_block_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.LEGAL_ENTITY:
            return self.company_name
        person = " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)
        if self.kind == self.Kind.SOLE_PROPRIETOR:
            return f"ИП {person}"
        return person

    def clean(self) -> None:
        if self.kind == self.Kind.LEGAL_ENTITY:
            if not self.company_name:
                raise ValidationError({"company_name": _("A legal entity needs its company name.")})
            if self.inn and len(self.inn) != 10:
                raise ValidationError({"inn": _("A legal entity's INN has 10 digits.")})
            if self.ogrn and len(self.ogrn) != 13:
                raise ValidationError({"ogrn": _("A legal entity's OGRN has 13 digits.")})
        else:
            if not (self.last_name and self.first_name):
                raise ValidationError({"last_name": _("A person needs a last and a first name.")})
            if self.inn and len(self.inn) != 12:
                raise ValidationError({"inn": _("A person's INN has 12 digits.")})
            if self.kind == self.Kind.SOLE_PROPRIETOR and self.ogrn and len(self.ogrn) != 15:
                raise ValidationError({"ogrn": _("A sole proprietor's OGRNIP has 15 digits.")})


class Contact(models.Model):
    """A way to reach the customer: phone or e-mail, with its confirmation state."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    customer = models.ForeignKey(Customer, related_name="contacts", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    value = models.CharField(
        _("value"), max_length=254, help_text=_("Phone as +7XXXXXXXXXX; e-mail in lower case")
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    verified_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["kind", "value"], name="contact_value_idx")]

    def __str__(self) -> str:
        return self.value


class Service(models.Model):
    """A billable utility service (e.g. "Electricity, day/night"), supplying one resource."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    unit = models.CharField(_("unit"), max_length=10)
    metered = models.BooleanField(_("metered"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(TimeStampedModel):
    """A personal account (лицевой счёт): the unit of billing, payment and access."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Supply suspended")
        CLOSED = "closed", _("Closed")

    number = models.CharField(
        _("account number"), max_length=20, unique=True, validators=[RegexValidator(r"^\d{6,20}$")]
    )
    branch = models.ForeignKey(Branch, related_name="accounts", on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, related_name="accounts", on_delete=models.PROTECT)
    premises = models.ForeignKey(Premises, related_name="accounts", on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    services = models.ManyToManyField(Service, through="AccountService", verbose_name=_("services"))

    class Meta:
        verbose_name = _("personal account")
        verbose_name_plural = _("personal accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="account_closed_after_opened",
            )
        ]

    def __str__(self) -> str:
        return self.number


class AccountService(models.Model):
    """A service supplied on an account over a period."""

    account = models.ForeignKey(Account, related_name="account_services", on_delete=models.CASCADE)
    service = models.ForeignKey(Service, related_name="account_services", on_delete=models.PROTECT)
    started_on = models.DateField(_("supplied from"))
    ended_on = models.DateField(_("supplied until"), null=True, blank=True)

    class Meta:
        verbose_name = _("account service")
        verbose_name_plural = _("account services")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "service", "started_on"], name="account_service_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.service_id}"


class DuplicateCandidate(models.Model):
    """Two customers that are likely one person or company, waiting for a person's decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        MERGED = "merged", _("Merged")
        DISTINCT = "distinct", _("Different customers")

    customer = models.ForeignKey(Customer, related_name="+", on_delete=models.CASCADE)
    duplicate_of = models.ForeignKey(Customer, related_name="+", on_delete=models.CASCADE)
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    source = models.CharField(_("found by"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["customer", "duplicate_of"], name="duplicate_candidate_pair")
        ]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_candidate_queue_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.duplicate_of_id} ({self.score})"


class CustomerMerge(models.Model):
    """A merge of one customer into a survivor, with every row it moved, so it can be undone."""

    survivor = models.ForeignKey(Customer, related_name="+", on_delete=models.PROTECT)
    merged = models.ForeignKey(Customer, related_name="+", on_delete=models.PROTECT)
    moved = models.JSONField(_("moved rows"), default=dict, help_text=_("model label → field → ids"))
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        constraints = [
            models.UniqueConstraint(
                fields=["merged"], condition=Q(undone_at__isnull=True), name="customer_merged_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class SyncEvent(models.Model):
    """A change billing must learn about (the outbox of two-way sync), written with the change itself.

    Billing pulls events in id order from the integration API and acknowledges them; the id is the cursor.
    """

    topic = models.CharField(_("topic"), max_length=40)
    customer = models.ForeignKey(Customer, related_name="+", null=True, blank=True, on_delete=models.SET_NULL)
    account = models.ForeignKey(Account, related_name="+", null=True, blank=True, on_delete=models.SET_NULL)
    payload = models.JSONField(_("payload"), default=dict)
    idempotency_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sync event")
        verbose_name_plural = _("sync events")
        # A constraint rather than unique=True: on PostgreSQL that also builds a pattern-matching index
        # nobody queries, one more index to write for every event (a reading submission writes one).
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="syncevent_key_unique")]

    def __str__(self) -> str:
        return f"{self.pk} {self.topic}"
