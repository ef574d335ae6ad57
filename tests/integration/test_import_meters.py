"""A billing system's meter register imported: meters installed, changed and removed, never deleted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportProfile, ImportRun, QuarantinedRow, SourceRecord
from abonent.integration.reasons import describe_reason
from abonent.integration.services import outcome_of, run_import, start_import
from abonent.metering.models import Channel, Meter, Reading
from abonent.metering.services import save_meter as real_save_meter

pytestmark = pytest.mark.django_db

HEADER = (
    "ЛС;Заводской номер;Ресурс;Тарифность;Разрядность;Дата установки;Дата поверки;Статус;Дата снятия;"
    "Нач. Т1;Нач. Т2"
)
NEXT = (timezone.localdate() + timedelta(days=6 * 365)).strftime("%d.%m.%Y")  # verification years ahead


def _write(tmp_path: Path, lines: list[str], name: str = "meters.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="cp1251")
    return path


@pytest.fixture
def meters_profile(profile_for) -> ImportProfile:
    return profile_for(FileKind.METERS)


def test_a_register_installs_meters_with_their_initial_readings(tmp_path, meters_profile, imported, account):
    path = _write(
        tmp_path,
        [
            f"{account.number};E-100;Электроэнергия;2;6;01.02.2024;{NEXT};в работе;;1 234,5;567",
            f"{account.number};W-200;ХВС;1;5;01.02.2024;{NEXT};;;;",
            f"{account.number};G-300;gas;;;2024-02-01;{NEXT};действует;;;",
        ],
    )

    run = imported(meters_profile, path)

    assert (run.applied, run.quarantined) == (3, 0)
    power = Meter.objects.get(serial_number="E-100")
    assert (power.account, power.resource, power.zones, power.digits) == (account, "electricity", 2, 6)
    assert power.installed_on == date(2024, 2, 1) and power.status == Meter.Status.ACTIVE
    assert Meter.objects.get(serial_number="W-200").resource == "cold_water"
    gas = Meter.objects.get(serial_number="G-300")
    assert (gas.resource, gas.zones, gas.digits) == ("gas", 1, 5)  # empty counts: the meter's defaults
    reading = Reading.objects.get(meter=power)
    assert reading.values == {"T1": Decimal("1234.5"), "T2": Decimal("567")}
    assert reading.channel == Channel.BULK_FILE
    assert not Reading.objects.filter(meter__serial_number__in=["W-200", "G-300"]).exists()
    assert (
        AuditEvent.objects.filter(object_type="metering.Meter", action=AuditEvent.Action.CREATE).count() == 3
    )


def test_running_the_same_register_again_changes_nothing(tmp_path, meters_profile, imported, account):
    path = _write(tmp_path, [f"{account.number};E-100;ээ;2;6;01.02.2024;{NEXT};;;10;20"])
    imported(meters_profile, path)
    before = (Meter.objects.count(), Reading.objects.count(), AuditEvent.objects.count())

    again = imported(meters_profile, path)

    assert (again.applied, again.updated, again.unchanged, again.quarantined) == (0, 0, 1, 0)
    assert (Meter.objects.count(), Reading.objects.count(), AuditEvent.objects.count()) == before


def test_a_meter_registered_as_the_row_says_is_unchanged(tmp_path, meters_profile, imported, account):
    Meter.objects.create(
        account=account, resource="hot_water", serial_number="H-1", zones=1, digits=5,
        installed_on=date(2023, 5, 1), next_verification_on=date(2029, 5, 1),
    )  # fmt: skip
    path = _write(tmp_path, [f"{account.number};H-1;ГВС;1;5;01.05.2023;01.05.2029;;;;"])

    run = imported(meters_profile, path)

    assert (run.applied, run.updated, run.unchanged) == (0, 0, 1)
    assert SourceRecord.objects.filter(kind="meter", key=f"{account.number}/H-1").exists()


def test_a_removed_meter_keeps_its_row_readings_and_the_removal_date(
    tmp_path, meters_profile, imported, account
):
    imported(meters_profile, _write(tmp_path, [f"{account.number};E-100;ээ;1;6;01.02.2024;{NEXT};;;100;"]))
    removed = _write(
        tmp_path, [f"{account.number};E-100;ээ;1;6;01.02.2024;{NEXT};снят;15.03.2025;100;"], "removed.csv"
    )

    run = imported(meters_profile, removed)

    assert (run.applied, run.updated) == (0, 1)
    meter = Meter.objects.get(serial_number="E-100")
    assert meter.status == Meter.Status.DECOMMISSIONED
    assert meter.readings.count() == 1  # history stays
    assert meter.removed_on == date(2025, 3, 15)
    change = AuditEvent.objects.filter(object_id=str(meter.pk), action=AuditEvent.Action.UPDATE).get()
    assert change.changes["status"] == ["active", "decommissioned"]
    assert change.changes["removed_on"] == ["None", "2025-03-15"]


def test_a_meter_billing_reinstates_loses_its_removal_date(tmp_path, meters_profile, imported, account):
    line = f"{account.number};E-100;ээ;1;6;01.02.2024;{NEXT};{{status}};{{removed}};;"
    imported(meters_profile, _write(tmp_path, [line.format(status="снят", removed="15.03.2025")]))

    run = imported(meters_profile, _write(tmp_path, [line.format(status="в работе", removed="")], "back.csv"))

    assert (run.updated, run.quarantined) == (1, 0)
    meter = Meter.objects.get(serial_number="E-100")
    assert (meter.status, meter.removed_on) == (Meter.Status.ACTIVE, None)


def test_a_removal_date_alone_means_removed_on_that_day(tmp_path, meters_profile, imported, account):
    imported(meters_profile, _write(tmp_path, [f"{account.number};E-100;ээ;1;6;01.02.2024;{NEXT};;;;"]))

    imported(
        meters_profile,
        _write(tmp_path, [f"{account.number};E-100;ээ;1;6;01.02.2024;{NEXT};;05.11.2025;;"], "r.csv"),
    )

    meter = Meter.objects.get(serial_number="E-100")
    assert (meter.status, meter.removed_on) == (Meter.Status.DECOMMISSIONED, date(2025, 11, 5))


@pytest.mark.parametrize(
    ("line", "reasons"),
    [
        ("6600999999;X-1;ээ;1;6;01.02.2024;{next};;;;", ["unknown_account"]),
        ("{account};X-1;пар;1;6;01.02.2024;{next};;;;", ["unknown_resource"]),
        ("{account};X-1;ээ;1;12;01.02.2024;{next};;;;", ["digits_out_of_range"]),
        ("{account};X-1;ээ;4;6;01.02.2024;{next};;;;", ["zones_out_of_range"]),
        ("{account};X-1;ээ;1,5;6;01.02.2024;{next};;;;", ["zones_out_of_range"]),
        ("{account};X-1;ээ;1;6;01.02.2024;01.01.2024;;;;", ["verification_before_installation"]),
        ("{account};X-1;ээ;1;6;{tomorrow};{next};;;;", ["installed_in_future"]),
        ("{account};X-1;ээ;1;6;01.02.2024;{next};сломан;;;", ["unknown_meter_status"]),
        ("{account};X-1;ээ;1;6;01.02.2024;{next};;01.01.2024;;", ["removed_before_installation"]),
        ("{account};X-1;ээ;1;6;01.02.2024;{next};в работе;01.03.2024;;", ["removal_date_on_active_meter"]),
        ("{account};X-1;ээ;2;6;01.02.2024;{next};;;100;", ["initial_reading:zone_missing"]),
        ("{account};X-1;ээ;1;4;01.02.2024;{next};;;123456;", ["initial_reading:too_many_digits"]),
        ("{account};TAKEN;ээ;1;6;01.02.2024;{next};;;;", ["meter_on_another_account"]),
        ("{account};X-1;ээ;1;6;01.02.2024;;;;;", ["missing_required:next_verification_on"]),
    ],
)
def test_each_refusal_is_quarantined_with_its_reason(
    tmp_path, meters_profile, imported, account, other_account, line, reasons
):
    Meter.objects.create(
        account=other_account, resource="electricity", serial_number="TAKEN",
        installed_on=date(2022, 1, 1), next_verification_on=date(2030, 1, 1),
    )  # fmt: skip
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d.%m.%Y")
    path = _write(tmp_path, [line.format(account=account.number, next=NEXT, tomorrow=tomorrow)])

    run = imported(meters_profile, path)

    row = QuarantinedRow.objects.get(run=run)
    assert row.reasons == reasons
    assert all(describe_reason(code) != code for code in row.reasons)  # people read words, not codes
    assert not Meter.objects.filter(serial_number="X-1").exists()
    assert Meter.objects.get(serial_number="TAKEN").account == other_account


def test_a_quarantined_meter_fixed_in_the_ui_is_installed(tmp_path, meters_profile, imported, account, admin):
    from abonent.integration.services import fix_quarantined_row

    run = imported(meters_profile, _write(tmp_path, [f"{account.number};X-1;ээ;1;12;01.02.2024;{NEXT};;;;"]))
    row = QuarantinedRow.objects.get(run=run)

    fixed = fix_quarantined_row(row=row, values={"digits": "6"}, fixed_by=admin)

    assert fixed.status == QuarantinedRow.Status.APPLIED
    assert Meter.objects.get(serial_number="X-1").digits == 6


def _register(tmp_path: Path, accounts: list[Account]) -> Path:
    lines = [
        f"{a.number};S-{i};{'ээ' if i % 2 else 'ХВС'};1;6;01.02.2024;{NEXT};;;{i * 10};"
        for i, a in enumerate(accounts)
    ]
    lines.append(f"6600999999;S-X;ээ;1;6;01.02.2024;{NEXT};;;;")  # one refusal among them
    return _write(tmp_path, lines)


def _state() -> list[tuple]:
    meters = Meter.objects.order_by("serial_number").values_list(
        "serial_number", "account__number", "resource", "status", "readings__t1"
    )
    records = SourceRecord.objects.filter(kind="meter").order_by("key").values_list("key", "row_hash")
    return [*meters, *records]


@pytest.mark.parametrize("crash", [False, True])
def test_a_run_crashed_mid_chunk_resumes_to_the_same_state(tmp_path, meters_profile, branch, crash):
    from tests.factories import AccountFactory

    accounts = [AccountFactory(number=f"66001000{i:02d}", branch=branch) for i in range(30)]
    with transaction.atomic():
        run = start_import(
            profile=meters_profile, path=_register(tmp_path, accounts), channel="command", enqueue=False
        )
    calls = {"n": 0}

    def dying(**kwargs):  # the process dies half-way through the second chunk, like kill -9
        calls["n"] += 1
        if crash and calls["n"] == 15:
            raise SystemExit(137)
        return real_save_meter(**kwargs)

    with mock.patch("abonent.integration.appliers.meters.save_meter", dying):
        if crash:
            with pytest.raises(SystemExit):
                run_import(run_id=run.pk, chunk_rows=10)
            run.refresh_from_db()
            assert run.status == ImportRun.Status.RUNNING and run.cursor == 10
        finished = run_import(run_id=run.pk, chunk_rows=10)

    assert (finished.applied, finished.quarantined, finished.total_rows) == (30, 1, 31)
    assert sum(len(c.outcomes) for c in finished.chunks.all()) == 31
    expected = [
        (f"S-{i}", f"66001000{i:02d}", "electricity" if i % 2 else "cold_water", "active", Decimal(i * 10))
        for i in range(30)
    ]
    state = _state()
    assert state[:30] == sorted(expected)
    assert [key for key, _hash in state[30:]] == sorted(f"66001000{i:02d}/S-{i}" for i in range(30))
    assert outcome_of(finished, 30) == "Q"


def test_a_dirty_register_ends_as_its_truth_says(tmp_path, meters_profile, imported, branch):
    import json

    from abonent.integration.dirty import write_dirty_meters
    from tests.factories import AccountFactory

    numbers = [AccountFactory(number=f"66003{i:05d}", branch=branch).number for i in range(200)]
    out = tmp_path / "register.csv"
    truth = [
        json.loads(line)
        for line in write_dirty_meters(accounts=numbers, out=out, seed=3).read_text().splitlines()
    ]

    run = imported(meters_profile, out, chunk_rows=64)

    letters = {"apply": "A", "duplicate": "N", "quarantine": "Q"}
    wrong = [(t["row"], t["dirt"]) for t in truth if outcome_of(run, t["row"]) != letters[t["expect"]]]
    assert wrong == []
    assert {t["dirt"] for t in truth} >= {
        "none",
        "exact_duplicate",
        "unknown_resource",
        "digits_out_of_range",
    }
    for t in truth:
        if t["dirt"] != "none" and t["expect"] == "quarantine":
            reasons = QuarantinedRow.objects.get(run=run, row=t["row"]).reasons
            assert reasons == [t["dirt"]], (t, reasons)
    applied = {t["serial"]: t["resource"] for t in truth if t["expect"] == "apply"}
    assert dict(Meter.objects.values_list("serial_number", "resource")) == applied
