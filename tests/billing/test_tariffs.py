"""Tariffs and norms as data, and the charge for a consumption computed per zone and per block."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from abonent.billing.errors import InvalidConsumption, InvalidTariff, NormNotFound, TariffNotFound
from abonent.billing.models import ConsumptionNorm, CustomerCategory, Tariff
from abonent.billing.selectors import norm_for, tariff_for
from abonent.billing.services.tariffs import (
    RateTerms,
    TariffTerms,
    category_for,
    compute_charge,
    norm_volume,
)
from abonent.customers.models import Service
from tests.billing.factories import ConsumptionNormFactory, TariffFactory, TariffRateFactory
from tests.factories import CustomerFactory

D = Decimal
HOUSEHOLD = CustomerCategory.HOUSEHOLD


def single(price: str) -> TariffTerms:
    return TariffTerms(
        kind=Tariff.Kind.SINGLE, rates=(RateTerms(zone="T", block_up_to=None, price=D(price)),)
    )


def lines(charge) -> list[tuple[str, str, str]]:
    return [(line.zone, str(line.volume), str(line.amount)) for line in charge.lines]


# --- Choosing the tariff --------------------------------------------------------------------------


def test_the_regions_own_tariff_wins_over_the_all_regions_one(electricity: Service) -> None:
    TariffRateFactory(tariff=TariffFactory(service=electricity, region_code=""), price=D("6.00"))
    own = TariffFactory(service=electricity, region_code="66")
    TariffRateFactory(tariff=own, price=D("5.47"))

    assert tariff_for(service=electricity, region="66", category=HOUSEHOLD, on_date=date(2026, 3, 1)) == own
    other = tariff_for(service=electricity, region="74", category=HOUSEHOLD, on_date=date(2026, 3, 1))
    assert other.region_code == ""


def test_the_tariff_in_force_on_the_day_is_chosen(electricity: Service) -> None:
    first_half = TariffFactory(
        service=electricity, valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 30)
    )
    second_half = TariffFactory(service=electricity, valid_from=date(2026, 7, 1))

    def on(day: date) -> Tariff:
        return tariff_for(service=electricity, region="66", category=HOUSEHOLD, on_date=day)

    assert on(date(2026, 6, 30)) == first_half
    assert on(date(2026, 7, 1)) == second_half
    with pytest.raises(TariffNotFound):
        on(date(2025, 12, 31))
    with pytest.raises(TariffNotFound):
        tariff_for(
            service=electricity, region="66", category=CustomerCategory.BUSINESS, on_date=date(2026, 7, 1)
        )


def test_overlapping_tariffs_are_refused_on_validation(electricity: Service) -> None:
    from django.core.exceptions import ValidationError

    TariffFactory(service=electricity, valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 30))
    overlapping = Tariff(
        service=electricity, region_code="66", category=HOUSEHOLD, kind="single", valid_from=date(2026, 6, 1)
    )
    with pytest.raises(ValidationError):
        overlapping.full_clean()


def test_the_customer_kind_decides_the_category() -> None:
    assert category_for(CustomerFactory.build()) == CustomerCategory.HOUSEHOLD
    assert category_for(CustomerFactory.build(legal=True)) == CustomerCategory.BUSINESS
    assert category_for(CustomerFactory.build(sole_proprietor=True)) == CustomerCategory.BUSINESS


# --- Computing the charge ---------------------------------------------------------------------------


def test_a_single_rate_charge() -> None:
    """150 kWh × 5.47 ₽ = 820.50 ₽."""
    charge = compute_charge(tariff=single("5.47"), consumption_by_zone={"T": D("150")})
    assert lines(charge) == [("T", "150", "820.50")]
    assert charge.total == D("820.50")


def test_a_zoned_meter_on_a_single_rate_tariff_is_billed_by_its_sum() -> None:
    charge = compute_charge(tariff=single("5.47"), consumption_by_zone={"T1": D("100"), "T2": D("50")})
    assert lines(charge) == [("T", "150", "820.50")]


def test_a_two_zone_charge_has_a_line_per_zone(electricity: Service) -> None:
    """T1 100 kWh × 6.21 = 621.00; T2 50 kWh × 3.12 = 156.00; total 777.00 ₽."""
    tariff = TariffFactory(service=electricity, kind=Tariff.Kind.ZONED)
    TariffRateFactory(tariff=tariff, zone="T1", price=D("6.21"))
    TariffRateFactory(tariff=tariff, zone="T2", price=D("3.12"))
    chosen = tariff_for(service=electricity, region="66", category=HOUSEHOLD, on_date=date(2026, 3, 1))

    charge = compute_charge(tariff=chosen, consumption_by_zone={"T2": D("50"), "T1": D("100")})

    assert lines(charge) == [("T1", "100", "621.00"), ("T2", "50", "156.00")]
    assert charge.total == D("777.00")


def test_a_zoned_tariff_needs_readings_by_zone() -> None:
    zoned = TariffTerms(
        kind=Tariff.Kind.ZONED,
        rates=(
            RateTerms(zone="T1", block_up_to=None, price=D("6.21")),
            RateTerms(zone="T2", block_up_to=None, price=D("3.12")),
        ),
    )
    with translation.override("en"), pytest.raises(InvalidConsumption, match="zone T"):
        compute_charge(tariff=zoned, consumption_by_zone={"T": D("150")})


def test_a_block_tariff_prices_each_block() -> None:
    """7,000 kWh on blocks ≤3,900 @ 5.47, ≤6,000 @ 8.05, above @ 10.20.

    3,900 × 5.47 = 21,333.00; 2,100 × 8.05 = 16,905.00; 1,000 × 10.20 = 10,200.00; total 48,438.00 ₽.
    """
    blocks = TariffTerms(
        kind=Tariff.Kind.BLOCK,
        rates=(
            RateTerms(zone="T", block_up_to=D("3900"), price=D("5.47")),
            RateTerms(zone="T", block_up_to=D("6000"), price=D("8.05")),
            RateTerms(zone="T", block_up_to=None, price=D("10.20")),
        ),
    )
    charge = compute_charge(tariff=blocks, consumption_by_zone={"T": D("7000")})
    assert [str(line.amount) for line in charge.lines] == ["21333.00", "16905.00", "10200.00"]
    assert charge.total == D("48438.00")
    small = compute_charge(tariff=blocks, consumption_by_zone={"T": D("100")})
    assert [str(line.amount) for line in small.lines] == ["547.00"]


def test_per_resident_blocks_grow_with_residents_and_shrink_with_days() -> None:
    """Block 50 kWh per resident a month; 2 residents, 15 of 30 days: bound 50 × 2 × 15/30 = 50 kWh.

    80 kWh: 50 × 4.00 = 200.00 and 30 × 6.00 = 180.00; total 380.00 ₽.
    """
    per_resident = TariffTerms(
        kind=Tariff.Kind.BLOCK,
        block_basis=Tariff.BlockBasis.RESIDENT,
        rates=(
            RateTerms(zone="T", block_up_to=D("50"), price=D("4.00")),
            RateTerms(zone="T", block_up_to=None, price=D("6.00")),
        ),
    )
    charge = compute_charge(
        tariff=per_resident, consumption_by_zone={"T": D("80")}, days=15, period_days=30, residents=2
    )
    assert [(str(ln.block_to), str(ln.volume), str(ln.amount)) for ln in charge.lines] == [
        ("50.000", "50.000", "200.00"),
        ("None", "30.000", "180.00"),
    ]
    with pytest.raises(InvalidConsumption):
        compute_charge(tariff=per_resident, consumption_by_zone={"T": D("80")})


@pytest.mark.parametrize(
    "rates",
    [
        (),
        (
            RateTerms(zone="T", block_up_to=None, price=D(1)),
            RateTerms(zone="T", block_up_to=None, price=D(2)),
        ),
        (RateTerms(zone="T1", block_up_to=None, price=D(1)),),
        (RateTerms(zone="T", block_up_to=D(10), price=D(1)),),
    ],
)
def test_prices_that_do_not_fit_a_single_rate_tariff_are_refused(rates) -> None:
    with pytest.raises(InvalidTariff):
        compute_charge(
            tariff=TariffTerms(kind=Tariff.Kind.SINGLE, rates=rates), consumption_by_zone={"T": D(1)}
        )


@pytest.mark.parametrize(
    "consumption",
    [{"T": D("-1")}, {"T": 1.5}, {"T4": D("1")}, {}],
)
def test_bad_consumption_is_refused_with_a_reason(consumption) -> None:
    with pytest.raises(InvalidConsumption):
        compute_charge(tariff=single("5.47"), consumption_by_zone=consumption)


# --- Norms ------------------------------------------------------------------------------------------


def test_norm_volume_per_resident_per_area_and_raised(electricity: Service) -> None:
    """95 kWh × 2 residents = 190; heating 0.0163 Gcal/m² × 54.30 m² = 0.885; × 1.5 raised = 1.328."""
    norm = ConsumptionNormFactory(service=electricity)
    assert norm_for(service=electricity, region="66", category=HOUSEHOLD, on_date=date(2026, 5, 1)) == norm
    assert norm_volume(norm=norm, residents=2) == D("190.000")
    assert norm_volume(norm=norm, residents=2, days=15, period_days=30) == D("95.000")
    heat = ConsumptionNorm(
        basis=ConsumptionNorm.Basis.AREA, value=D("0.0163"), raising_factor=D("1.50"), service=electricity
    )
    assert norm_volume(norm=heat, area=D("54.30")) == D("0.885")
    assert norm_volume(norm=heat, area=D("54.30"), raised=True) == D("1.328")
    with pytest.raises(InvalidConsumption):
        norm_volume(norm=heat)


def test_a_missing_norm_is_a_clear_error(electricity: Service) -> None:
    with pytest.raises(NormNotFound):
        norm_for(service=electricity, region="66", category=HOUSEHOLD, on_date=date(2026, 5, 1))
