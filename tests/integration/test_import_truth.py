"""A generated dirty export imported and compared with its truth: nothing lost, dirt found and handled."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from abonent.customers.models import Account, Contact, Customer, DuplicateCandidate
from abonent.integration.dirty import write_dirty_export
from abonent.integration.models import ImportRun, QuarantinedRow
from abonent.integration.services import outcome_of

pytestmark = pytest.mark.django_db(transaction=False)


def _truth(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1251", "koi8_r"])
def test_every_row_of_a_dirty_export_ends_as_its_truth_says(tmp_path, accounts_profile, imported, encoding):
    out = tmp_path / "export.csv"
    truth = _truth(write_dirty_export(rows=1000, out=out, seed=7, encoding=encoding))

    run = imported(accounts_profile, out, chunk_rows=400)

    assert run.encoding == encoding
    _assert_rows_as_truth_says(run, truth)


def test_a_first_load_in_the_initial_load_mode_ends_as_its_truth_says(tmp_path, accounts_profile, imported):
    out = tmp_path / "export.csv"
    truth = _truth(write_dirty_export(rows=1000, out=out, seed=7, encoding="cp1251"))

    # Small chunks: customers, e-mails and INNs met again in later chunks are found in the database.
    run = imported(accounts_profile, out, chunk_rows=150, initial_load=True)

    assert run.initial_load
    _assert_rows_as_truth_says(run, truth)


def _assert_rows_as_truth_says(run: ImportRun, truth: list[dict]) -> None:
    assert run.status in (ImportRun.Status.FINISHED, ImportRun.Status.SUSPICIOUS)
    assert run.total_rows == len(truth)
    assert run.applied + run.updated + run.unchanged + run.quarantined == len(truth)
    outcomes = {t["row"]: outcome_of(run, t["row"]) for t in truth}
    wrong = [
        (t["row"], t["dirt"], t["expect"], outcomes[t["row"]])
        for t in truth
        if {"apply": "A", "duplicate": "N", "quarantine": "Q"}[t["expect"]] != outcomes[t["row"]]
    ]
    assert wrong == []
    applied = [t for t in truth if t["expect"] == "apply"]
    assert Account.objects.filter(number__in=[t["account"] for t in applied]).count() == len(applied)
    for t in applied:
        customer = Account.objects.get(number=t["account"]).customer
        assert (customer.last_name, customer.first_name) == (t["last"], t["first"]), t
        assert customer.birth_date.isoformat() == t["born"], t
        phones = set(Contact.objects.filter(customer=customer, kind="phone").values_list("value", flat=True))
        assert phones == {t["phone"]}, t
        emails = set(Contact.objects.filter(customer=customer, kind="email").values_list("value", flat=True))
        assert emails == ({t["email"]} if t["email"] else set()), t


def test_rules_are_counted_and_quarantined_rows_say_why(tmp_path, accounts_profile, imported):
    out = tmp_path / "export.csv"
    truth = _truth(write_dirty_export(rows=2000, out=out, seed=11, encoding="cp1251"))
    dirt = Counter(t["dirt"] for t in truth)

    run = imported(accounts_profile, out)

    rules = run.rules
    assert rules["exact_duplicate"] == dirt["exact_duplicate"] // 2
    assert rules["equivalent_duplicate"] == dirt["equivalent_duplicate"] // 2
    assert rules["conflicting_duplicate"] == dirt["conflict"]
    assert rules["homoglyphs"] >= dirt["homoglyph"]
    assert rules["swapped_fields"] >= 1 and rules["shifted_field"] >= 1
    assert rules["inn_invalid"] == dirt["bad_inn"]
    conflicts = [
        q
        for q in QuarantinedRow.objects.filter(run=run)
        if "conflicting_duplicate:account_number" in q.reasons
    ]
    assert len(conflicts) == dirt["conflict"]  # both lines of each pair
    assert all(set(q.diff) == {"flat"} for q in conflicts)
    assert run.samples["applied"]


@pytest.mark.parametrize("initial_load", [False, True], ids=["usual", "initial-load"])
def test_likely_twins_are_queued_for_review(tmp_path, accounts_profile, imported, initial_load):
    out = tmp_path / "export.csv"
    truth = _truth(write_dirty_export(rows=2000, out=out, seed=5, encoding="utf-8"))
    imported(accounts_profile, out, chunk_rows=700, initial_load=initial_load)

    twins = [t for t in truth if t["dirt"] == "twin_of"]
    assert twins
    for t in twins:
        twin = Account.objects.get(number=t["account"]).customer
        original = Account.objects.get(
            number=next(x["account"] for x in truth if x["client"] == t["twin_of"])
        ).customer
        pair = DuplicateCandidate.objects.filter(customer=twin, duplicate_of=original).first()
        assert pair is not None and pair.score >= 80, t


def test_running_the_same_file_again_changes_nothing(tmp_path, accounts_profile, imported):
    out = tmp_path / "export.csv"
    write_dirty_export(rows=800, out=out, seed=2, encoding="utf-8")
    first = imported(accounts_profile, out)
    counts = (Customer.objects.count(), Account.objects.count(), Contact.objects.count())

    second = imported(accounts_profile, out)

    assert (Customer.objects.count(), Account.objects.count(), Contact.objects.count()) == counts
    assert second.applied == second.updated == 0
    assert second.unchanged == first.applied + first.updated + first.unchanged
    assert second.quarantined == first.quarantined
