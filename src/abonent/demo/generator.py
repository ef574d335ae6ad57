"""Build the demo utility: reference data, demo logins and a population of N accounts."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from abonent.billing.services.reference import load_reference_data
from abonent.core.bulk import analyze_database, bulk_load_session, indexes_deferred
from abonent.core.production_calendar import load_federal_calendar
from abonent.customers.models import District, Service
from abonent.demo import names
from abonent.demo.billing import generate_billing
from abonent.demo.documents import generate_documents
from abonent.demo.payments import generate_payments
from abonent.demo.personas import DemoLogin, create_personas
from abonent.demo.population import (
    POPULATION_MODELS,
    BranchShare,
    PopulationGenerator,
    generated_chunks,
    write_chunks,
)
from abonent.demo.readings import generate_readings
from abonent.demo.reference import BRANCH_PLANS, create_branches, create_organisation, create_services
from abonent.demo.session import fast_sqlite_load
from abonent.documents.services import install_shipped_templates
from abonent.identity.services import ensure_staff_groups
from abonent.integration.demo import generate_integration


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    seconds: float
    logins: list[DemoLogin]


def ensure_reference_data() -> None:
    """Put back what the migrations load (a flush empties it): calendar, key rates, document templates."""
    load_federal_calendar()
    load_reference_data()
    install_shipped_templates()


def build_demo(*, accounts: int, seed: int = 2026, report: Callable[[str], None] = print) -> DemoSummary:
    """Create the demo utility on an empty database and return the logins to print."""
    started = time.monotonic()
    ensure_reference_data()
    with transaction.atomic():
        organisation = create_organisation()
        branches = create_branches(organisation)
        for plan in BRANCH_PLANS:
            city = names.CITIES[plan.city_key]
            District.objects.bulk_create(
                District(branch=branches[plan.code], settlement=f"г. {city['name']}", name=f"{name} район")
                for name in city["districts"]
            )
        services = create_services()
        ensure_staff_groups()
        logins = create_personas(branches=branches, services=services)
    report(f"  reference data, branches and demo logins in {time.monotonic() - started:.1f} s")
    _generate_population(accounts=accounts, seed=seed, branches=branches, services=services, report=report)
    with fast_sqlite_load(), bulk_load_session():
        generate_readings(seed=seed, report=report)
        # The demo logins' billing runs the charge run's own queries: planned against the statistics
        # of empty tables they scan whole tables of millions of rows (PostgreSQL) for a dozen accounts.
        analyze_database()
        generate_billing(seed=seed, report=report)
        generate_payments(report=report)
        generate_documents(report=report)
    generate_integration(report=report)
    analyze_database()
    return DemoSummary(accounts=accounts, seconds=time.monotonic() - started, logins=logins)


def _generate_population(
    *, accounts: int, seed: int, branches: dict, services: dict[str, Service], report: Callable[[str], None]
) -> None:
    generator = PopulationGenerator(seed=seed, services=services)
    shares, remaining = [], accounts
    for index, plan in enumerate(BRANCH_PLANS):
        count = remaining if index == len(BRANCH_PLANS) - 1 else round(accounts * plan.share)
        prefix = str(names.CITIES[plan.city_key]["postal_prefix"])
        shares.append(BranchShare(branch=branches[plan.code], count=count, postal_prefix=prefix))
        remaining -= count
    plans = generator.plans(shares)
    started = time.monotonic()
    written = 0

    def progress(chunk: int) -> None:
        nonlocal written
        written += chunk
        elapsed = time.monotonic() - started
        report(f"  {written:>9,} / {accounts:,} accounts  ({written / max(elapsed, 1e-9):,.0f}/s)")

    # Generating a chunk costs about as much CPU as writing it: workers generate while this process writes.
    processes = 0 if connection.in_atomic_block else min(os.cpu_count() or 1, 4)
    with (
        generated_chunks(plans, processes=processes) as chunks,
        fast_sqlite_load(),
        bulk_load_session(),
        indexes_deferred(*POPULATION_MODELS),
    ):
        write_chunks(chunks, progress)
    report(f"  population: {accounts:,} accounts in {time.monotonic() - started:.1f} s")
