"""Billing data: tariffs and norms, the rules of penalties (пени) and the append-only ledger.

Every number that a law or a regulator changes (tariffs, norms, the key rate, its cap, moratoria,
the penalty scale, the payment due day) is a row with a validity period, so a change of law is a
data change. Money is Decimal roubles with kopecks; a balance is always a sum of ledger entries.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from abonent.core.models import Organisation
from abonent.customers.models import Account, Service

REGION_CODE = RegexValidator(r"^\d{2}$", _("A region code is two digits, e.g. 66."))


class CustomerCategory(models.TextChoices):
    """Who consumes: tariffs, norms and penalty scales differ for households and businesses."""

    HOUSEHOLD = "household", _("Household")
    BUSINESS = "business", _("Business")


class Zone(models.TextChoices):
    """A tariff zone of the day; single-rate tariffs and meters have the one zone "T"."""

    SINGLE = "T", _("Round the clock")
    T1 = "T1", _("T1 day / peak")
    T2 = "T2", _("T2 night")
    T3 = "T3", _("T3 semi-peak")


class DatedRowQuerySet(models.QuerySet):
    """Rows with valid_from and an optional inclusive valid_until."""

    def in_force(self, on_date) -> DatedRowQuerySet:
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on_date), valid_from__lte=on_date)


def _valid_until_after_from(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")), name=name
    )


def _overlapping(*, valid_from, valid_until, others: models.QuerySet) -> bool:
    """Tell whether one of the other rows is in force on some day from valid_from to valid_until."""
    if valid_until is not None:
        others = others.filter(valid_from__lte=valid_until)
    return others.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)).exists()


class Tariff(models.Model):
    """The price of a service in a region for a category over a validity period."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single rate")
        ZONED = "zoned", _("By zones of the day (T1/T2/T3)")
        BLOCK = "block", _("By consumption blocks")

    class BlockBasis(models.TextChoices):
        ACCOUNT = "account", _("Per account per month")
        RESIDENT = "resident", _("Per registered resident per month")

    service = models.ForeignKey(Service, related_name="tariffs", on_delete=models.PROTECT)
    region_code = models.CharField(
        _("region code"),
        max_length=2,
        blank=True,
        validators=[REGION_CODE],
        help_text=_("Empty: every region without a tariff of its own."),
    )
    category = models.CharField(_("customer category"), max_length=10, choices=CustomerCategory.choices)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.SINGLE)
    block_basis = models.CharField(
        _("blocks are counted"), max_length=8, choices=BlockBasis.choices, default=BlockBasis.ACCOUNT
    )
    meter_zones = models.PositiveSmallIntegerField(
        _("for meters with zones"),
        default=0,
        validators=[MaxValueValidator(3)],
        help_text=_(
            "0: every meter; 1, 2 or 3: the tariff option for single-rate, two-zone or three-zone meters "
            "(a region sets a price for each)."
        ),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Inclusive."))
    name = models.CharField(_("name"), max_length=200, blank=True)
    basis = models.CharField(
        _("legal basis"), max_length=300, blank=True, help_text=_("E.g. the regional tariff decision.")
    )

    objects = DatedRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["service", "region_code", "category", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "region_code", "category", "meter_zones", "valid_from"],
                name="tariff_unique_start_zones",
            ),
            _valid_until_after_from("tariff_valid_range"),
        ]

    def __str__(self) -> str:
        region = self.region_code or "*"
        return f"{self.service} · {region} · {self.get_category_display()} · {self.valid_from:%d.%m.%Y}"

    def clean(self) -> None:
        same_key = Tariff.objects.filter(
            service_id=self.service_id,
            region_code=self.region_code,
            category=self.category,
            meter_zones=self.meter_zones,
        )
        others = same_key.exclude(pk=self.pk)
        if self.valid_from and _overlapping(
            valid_from=self.valid_from, valid_until=self.valid_until, others=others
        ):
            raise ValidationError(_("Another tariff for this service, region and category is in force then."))


class TariffRate(models.Model):
    """One price of a tariff: for a zone, and for a block of consumption up to a bound."""

    tariff = models.ForeignKey(Tariff, related_name="rates", on_delete=models.CASCADE)
    zone = models.CharField(_("zone"), max_length=2, choices=Zone.choices, default=Zone.SINGLE)
    block_up_to = models.DecimalField(
        _("block up to"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Upper bound of the block in units per month; empty for the last block."),
    )
    price = models.DecimalField(
        _("price per unit, ₽"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("tariff price")
        verbose_name_plural = _("tariff prices")
        ordering = ["zone", F("block_up_to").asc(nulls_last=True)]

    def __str__(self) -> str:
        return f"{self.zone} {self.block_up_to or '∞'}: {self.price}"


class ConsumptionNorm(models.Model):
    """The regional norm of consumption, used when there are no readings to bill by (Decree 354)."""

    class Basis(models.TextChoices):
        RESIDENT = "resident", _("Per registered resident per month")
        AREA = "area", _("Per m² of area per month")
        ACCOUNT = "account", _("Per account per month")

    service = models.ForeignKey(Service, related_name="norms", on_delete=models.PROTECT)
    region_code = models.CharField(
        _("region code"),
        max_length=2,
        blank=True,
        validators=[REGION_CODE],
        help_text=_("Empty: every region without a norm of its own."),
    )
    category = models.CharField(_("customer category"), max_length=10, choices=CustomerCategory.choices)
    variant = models.CharField(
        _("variant"),
        max_length=60,
        blank=True,
        help_text=_("Which premises it is for, e.g. “with a gas stove”; empty for the usual one."),
    )
    basis = models.CharField(_("per"), max_length=8, choices=Basis.choices)
    value = models.DecimalField(
        _("units per month"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    raising_factor = models.DecimalField(
        _("raising factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal(1))],
        help_text=_("Applied when a meter could be installed and is not (e.g. 1.5)."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Inclusive."))
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    objects = DatedRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("consumption norm")
        verbose_name_plural = _("consumption norms")
        ordering = ["service", "region_code", "category", "variant", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "region_code", "category", "variant", "valid_from"],
                name="norm_unique_start",
            ),
            _valid_until_after_from("norm_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.service} · {self.region_code or '*'} · {self.value} {self.get_basis_display()}"

    def clean(self) -> None:
        same_key = ConsumptionNorm.objects.filter(
            service_id=self.service_id,
            region_code=self.region_code,
            category=self.category,
            variant=self.variant,
        )
        others = same_key.exclude(pk=self.pk)
        if self.valid_from and _overlapping(
            valid_from=self.valid_from, valid_until=self.valid_until, others=others
        ):
            raise ValidationError(_("Another norm for this service, region and category is in force then."))


class KeyRate(models.Model):
    """The Bank of Russia key rate from a date until the next row."""

    valid_from = models.DateField(_("valid from"), unique=True)
    rate = models.DecimalField(
        _("rate, % per year"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    decision = models.CharField(_("decision"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("key rate")
        verbose_name_plural = _("key rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from:%d.%m.%Y}: {self.rate} %"


class PenaltyRateCap(models.Model):
    """A decree that caps the rate used for penalties (e.g. min(9.5 %, rate on the payment day))."""

    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Inclusive."))
    cap = models.DecimalField(_("cap, % per year"), max_digits=5, decimal_places=2)
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    objects = DatedRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("penalty rate cap")
        verbose_name_plural = _("penalty rate caps")
        ordering = ["-valid_from"]
        constraints = [_valid_until_after_from("penalty_cap_valid_range")]

    def __str__(self) -> str:
        return f"{self.cap} % {self.valid_from:%d.%m.%Y}–{self.valid_until or '…'}"


class PenaltyMoratorium(models.Model):
    """Days on which no penalty accrues (e.g. 06.04.2020–31.12.2020 by Decree 424)."""

    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Inclusive: the last day without penalties."))
    category = models.CharField(
        _("customer category"),
        max_length=10,
        choices=CustomerCategory.choices,
        blank=True,
        help_text=_("Empty: every category."),
    )
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("penalty moratorium")
        verbose_name_plural = _("penalty moratoria")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="moratorium_range")
        ]

    def __str__(self) -> str:
        return f"{self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y}"


class PenaltyScale(models.Model):
    """The steps of the penalty: free days, then 1/N of the rate per day, then 1/M from a later day."""

    category = models.CharField(_("customer category"), max_length=10, choices=CustomerCategory.choices)
    valid_from = models.DateField(_("valid from"), help_text=_("Applies to debts due on or after this day."))
    free_days = models.PositiveSmallIntegerField(_("days without penalty"), default=30)
    first_denominator = models.PositiveSmallIntegerField(
        _("then 1/N of the rate per day, N ="), default=300, validators=[MinValueValidator(1)]
    )
    first_until_day = models.PositiveSmallIntegerField(
        _("up to and including day"),
        null=True,
        blank=True,
        default=90,
        help_text=_("Empty: the first step never ends."),
    )
    later_denominator = models.PositiveSmallIntegerField(
        _("after it 1/M per day, M ="), default=130, validators=[MinValueValidator(1)]
    )
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("penalty scale")
        verbose_name_plural = _("penalty scales")
        ordering = ["category", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["category", "valid_from"], name="penalty_scale_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.valid_from:%d.%m.%Y}"


class PaymentDueRule(models.Model):
    """When bills must arrive and payment is due, in force from a date (the law moved 10th → 15th).

    A rule without an organisation is the federal default; an organisation's own rule wins over it.
    The rule in force on the first day of the month after the billing period decides that period.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="payment_due_rules",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: the federal default."),
    )
    valid_from = models.DateField(_("valid from"))
    due_day = models.PositiveSmallIntegerField(
        _("payment due by day of the next month"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    bill_delivery_day = models.PositiveSmallIntegerField(
        _("bill delivered by day of the next month"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment due rule")
        verbose_name_plural = _("payment due rules")
        ordering = ["organisation", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "valid_from"], name="due_rule_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.valid_from:%d.%m.%Y}: {self.due_day}"


class BillDelivery(models.Model):
    """When a period's bill reached the customer; a late bill frees that period from penalties.

    The Bill model of the bills issue will own this row (a one-to-one), so nothing is thrown away.
    """

    account = models.ForeignKey(Account, related_name="bill_deliveries", on_delete=models.PROTECT)
    period = models.DateField(_("period"), help_text=_("The first day of the billed month."))
    delivered_on = models.DateField(_("delivered on"))
    deadline = models.DateField(_("due to be delivered by"))
    channel = models.CharField(_("channel"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("bill delivery")
        verbose_name_plural = _("bill deliveries")
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="bill_delivery_unique")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period:%m.%Y}: {self.delivered_on:%d.%m.%Y}"

    @property
    def is_late(self) -> bool:
        return self.delivered_on > self.deadline


class LedgerEntry(models.Model):
    """One posted movement on an account's debt for a service and period; never changed, never deleted.

    The sign is the debt's: + increases what the customer owes (a charge, a penalty), − decreases it
    (a payment, a benefit, a write-off). A correction is a new entry that may name the one it corrects.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        PAYMENT = "payment", _("Payment")
        RECALCULATION = "recalculation", _("Recalculation")
        PENALTY = "penalty", _("Penalty")
        WRITE_OFF = "write_off", _("Write-off")
        BENEFIT = "benefit", _("Benefit or subsidy")

    class Component(models.TextChoices):
        PRINCIPAL = "principal", _("Principal")
        PENALTY = "penalty", _("Penalty")

    # No index of its own: ledger_account_idx starts with the account (an index less to update per entry).
    account = models.ForeignKey(
        Account, related_name="ledger_entries", on_delete=models.PROTECT, db_index=False
    )
    service = models.ForeignKey(
        Service,
        related_name="ledger_entries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty only for an advance payment not yet assigned to a service."),
    )
    period = models.DateField(_("period"), help_text=_("The first day of the month whose bill shows it."))
    kind = models.CharField(_("kind"), max_length=13, choices=Kind.choices)
    component = models.CharField(
        _("component"), max_length=9, choices=Component.choices, default=Component.PRINCIPAL
    )
    amount = models.DecimalField(_("amount, ₽"), max_digits=14, decimal_places=2)
    occurred_on = models.DateField(_("value date"), help_text=_("The day the money arrived or was charged."))
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=40)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    group_key = models.CharField(
        _("operation"),
        max_length=200,
        blank=True,
        help_text=_("The key of the operation that posted several entries at once (a split payment)."),
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        related_name="corrections",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # ledger_corrects_idx, partial
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # ledger_posted_by_idx, partial
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ["account", "occurred_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "idempotency_key"], name="ledger_idempotency"),
            models.CheckConstraint(
                condition=(
                    Q(kind="charge", amount__gte=0)
                    | Q(kind__in=["payment", "write_off", "benefit"], amount__lt=0)
                    | Q(kind__in=["recalculation", "penalty"]) & ~Q(amount=0)
                ),
                name="ledger_amount_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="penalty") | Q(component="penalty"), name="ledger_penalty_component"
            ),
            models.CheckConstraint(
                condition=Q(service__isnull=False) | Q(kind="payment"), name="ledger_service_unless_advance"
            ),
        ]
        # The charge run appends millions of entries, and every index is updated per entry. Entries
        # without a group, a corrected entry or a staff author (nearly all) are left out of those
        # indexes: the lookups by them always name a value (docs/architecture.md, the charge run).
        indexes = [
            models.Index(fields=["account", "service", "period"], name="ledger_account_idx"),
            models.Index(fields=["group_key"], condition=~Q(group_key=""), name="ledger_group_key_idx"),
            models.Index(
                fields=["corrects"], condition=Q(corrects__isnull=False), name="ledger_corrects_idx"
            ),
            models.Index(
                fields=["posted_by"], condition=Q(posted_by__isnull=False), name="ledger_posted_by_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period:%m.%Y} {self.kind} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        # The ledger is append-only: a posted entry is never rewritten, whatever calls save().
        if self.pk is not None:
            raise ValidationError(_("Ledger entries cannot be changed; post a correcting entry."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ledger entries cannot be deleted; post a correcting entry."))


class Benefit(models.Model):
    """A benefit or subsidy of an account: a percent off or a fixed sum per month, over a validity period.

    Without a service it applies to every service of the account (a percent of each charge; a fixed
    sum is then taken from the services in id order until used up).
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent of the charge")
        FIXED = "fixed", _("Fixed sum per month")

    account = models.ForeignKey(Account, related_name="benefits", on_delete=models.PROTECT)
    service = models.ForeignKey(
        Service,
        related_name="benefits",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: every service of the account."),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("E.g. “Labour veteran, 50 %”."))
    kind = models.CharField(_("kind"), max_length=7, choices=Kind.choices)
    value = models.DecimalField(
        _("percent or sum, ₽"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Inclusive."))
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    objects = DatedRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["account", "-valid_from"]
        constraints = [
            _valid_until_after_from("benefit_valid_range"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="benefit_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChargeRun(models.Model):
    """The monthly charge run of one branch for one period, worked in chunks of accounts.

    One run per branch and period: starting it again resumes it (the chunks already done stay done,
    and the ledger's idempotency keys make a chunk repeated after a crash post nothing twice).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    branch = models.ForeignKey(
        "core.Branch", verbose_name=_("branch"), related_name="charge_runs", on_delete=models.PROTECT
    )
    period = models.DateField(_("period"), help_text=_("The first day of the billed month."))
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    accounts_total = models.PositiveIntegerField(_("accounts"), default=0)
    accounts_done = models.PositiveIntegerField(_("accounts done"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    bills = models.PositiveIntegerField(_("bills issued"), default=0)
    charged = models.DecimalField(_("charged, ₽"), max_digits=16, decimal_places=2, default=Decimal(0))
    recalculated = models.DecimalField(
        _("recalculated, ₽"), max_digits=16, decimal_places=2, default=Decimal(0)
    )
    benefits = models.DecimalField(_("benefits, ₽"), max_digits=16, decimal_places=2, default=Decimal(0))
    by_average = models.PositiveIntegerField(_("meters billed by average"), default=0)
    by_norm = models.PositiveIntegerField(_("lines billed by norm"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("charge run")
        verbose_name_plural = _("charge runs")
        ordering = ["-period", "branch"]
        constraints = [models.UniqueConstraint(fields=["branch", "period"], name="charge_run_unique")]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.period:%m.%Y} {self.status}"

    @property
    def percent_done(self) -> int:
        if not self.accounts_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.accounts_done * 100 // self.accounts_total)


class ChargeRunChunk(models.Model):
    """A range of account ids of a run, charged in one transaction by one worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(ChargeRun, related_name="chunks", on_delete=models.CASCADE)
    first_account_id = models.BigIntegerField(_("first account id"))
    last_account_id = models.BigIntegerField(_("last account id"))
    accounts = models.PositiveIntegerField(_("accounts"), default=0)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("charge run chunk")
        verbose_name_plural = _("charge run chunks")
        ordering = ["run", "first_account_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_account_id"], name="charge_chunk_unique"),
            models.CheckConstraint(
                condition=Q(last_account_id__gte=F("first_account_id")), name="charge_chunk_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.first_account_id}–{self.last_account_id} {self.status}"


class Bill(models.Model):
    """The bill of one account for one period: its totals, and the lines as the charge run computed them.

    `details` is the calculation record (per service, zone and meter: basis, volume, price, amount,
    months without readings, the readings used); the money itself is in the ledger. Totals follow the
    ledger entries dated in the period: due = opening balance + charged + recalculated − benefits
    − paid + penalties.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled")

    # No index of its own: bill_unique_period starts with the account.
    account = models.ForeignKey(Account, related_name="bills", on_delete=models.PROTECT, db_index=False)
    period = models.DateField(_("period"), help_text=_("The first day of the billed month."))
    number = models.CharField(_("number"), max_length=30, unique=True)
    issued_on = models.DateField(_("issued on"))
    due_date = models.DateField(_("pay by"))
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.ISSUED)
    opening_balance = models.DecimalField(_("owed at the start, ₽"), max_digits=14, decimal_places=2)
    charged = models.DecimalField(_("charged, ₽"), max_digits=14, decimal_places=2)
    recalculated = models.DecimalField(_("recalculated, ₽"), max_digits=14, decimal_places=2)
    benefits = models.DecimalField(_("benefits, ₽"), max_digits=14, decimal_places=2)
    paid = models.DecimalField(_("paid, ₽"), max_digits=14, decimal_places=2)
    penalties = models.DecimalField(_("penalties, ₽"), max_digits=14, decimal_places=2)
    total_due = models.DecimalField(_("to pay, ₽"), max_digits=14, decimal_places=2)
    details = models.JSONField(_("calculation"), default=dict)
    run = models.ForeignKey(
        ChargeRun, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["account", "-period"]
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="bill_unique_period")]

    def __str__(self) -> str:
        return self.number
