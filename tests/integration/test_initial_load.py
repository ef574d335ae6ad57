"""The initial-load mode: the indexes a first import does not read are built once, at its end."""

from __future__ import annotations

import pytest

from abonent.customers.models import Account, Contact, Customer
from abonent.integration.appliers.customers import CustomerAccountApplier
from abonent.integration.models import ImportRun
from abonent.integration.services import outcome_of, run_import
from tests.factories import CustomerFactory
from tests.integration.helpers import index_names

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id;last_name;first_name;middle_name;birth_date;inn;phone;email;account_number;street;house;flat"
)
# Row 3 is a second account of row 1's customer; row 4 another customer with row 1's e-mail;
# row 5 another customer with row 2's INN. With one row a chunk, each is found in an earlier chunk.
ROWS = (
    "c1;Иванов;Иван;Иванович;01.02.1970;;+79001112233;ivan@example.ru;100001;Ленина;1;1",
    "c2;Петров;Пётр;Петрович;03.04.1980;500100732259;+79001112234;;100002;Ленина;1;2",
    "c1;Иванов;Иван;Иванович;01.02.1970;;+79001112233;ivan@example.ru;100003;Ленина;1;3",
    "c3;Сидоров;Сидор;Сидорович;05.06.1990;;+79001112235;ivan@example.ru;100004;Ленина;1;4",
    "c4;Орлов;Олег;Олегович;07.08.1975;500100732259;+79001112236;;100005;Ленина;1;5",
)


def _watching_indexes(imported, profile, path) -> tuple[ImportRun, list[set[str]]]:
    """Import the file in the initial-load mode, a row a chunk, noting the indexes after each chunk."""
    during: list[set[str]] = []
    run = imported(
        profile, path, initial_load=True, chunk_rows=1, on_chunk=lambda _r: during.append(index_names())
    )
    return run, during


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "first.csv"
    path.write_text("\n".join((HEADER, *ROWS)) + "\n", encoding="utf-8")
    return path


def test_unread_indexes_are_dropped_while_it_writes_and_built_again_at_its_end(
    export, accounts_profile, imported
):
    before = index_names()

    run, during = _watching_indexes(imported, accounts_profile, export)

    assert run.initial_load and run.deferred_indexes == []
    assert len(during) == 5 and all(names < before for names in during)
    # Only unique indexes stay: e-mails and INNs are looked up in memory, the blocking keys wait.
    assert not any("inn" in name for name in during[0])
    assert not {"contact_value_idx", "customer_name_idx", "customer_match_name_idx"} & during[0]
    assert "customer_match_block_idx" not in during[0]
    assert index_names() == before


def test_customers_e_mails_and_inns_of_earlier_chunks_are_found(export, accounts_profile, imported):
    run = imported(accounts_profile, export, initial_load=True, chunk_rows=1)

    assert [outcome_of(run, row) for row in range(5)] == ["A", "A", "A", "Q", "Q"]
    assert Customer.objects.count() == 2
    assert set(Account.objects.filter(customer__last_name="Иванов").values_list("number", flat=True)) == {
        "100001",
        "100003",
    }
    reasons = dict(run.quarantine.values_list("row", "reasons"))
    assert reasons[3][0].startswith("duplicate_customer:email:")
    assert reasons[4][0].startswith("duplicate_customer:inn:")


def test_a_resumed_first_load_finds_the_e_mails_and_inns_its_committed_chunks_stored(
    export, accounts_profile, imported
):
    class Stopped(Exception):
        pass

    def stop_after_the_third_chunk(run: ImportRun) -> None:
        if run.cursor == 3:
            raise Stopped  # as a kill would: the run stays running with three chunks committed

    with pytest.raises(Stopped):
        imported(
            accounts_profile, export, initial_load=True, chunk_rows=1, on_chunk=stop_after_the_third_chunk
        )
    stopped = ImportRun.objects.get()
    assert stopped.deferred_indexes  # the new process starts on a table without the e-mail index

    run = run_import(run_id=stopped.pk, chunk_rows=1)

    assert [outcome_of(run, row) for row in range(5)] == ["A", "A", "A", "Q", "Q"]
    reasons = dict(run.quarantine.values_list("row", "reasons"))
    assert reasons[3] == [f"duplicate_customer:email:{Customer.objects.get(last_name='Иванов').pk}"]
    assert reasons[4] == [f"duplicate_customer:inn:{Customer.objects.get(last_name='Петров').pk}"]


def test_the_mode_is_not_taken_on_tables_that_hold_customers(export, accounts_profile, imported):
    CustomerFactory()
    before = index_names()

    run, during = _watching_indexes(imported, accounts_profile, export)

    assert not run.initial_load and run.deferred_indexes == []
    assert during == [before] * 5
    assert run.status == ImportRun.Status.SUSPICIOUS  # two of five rows quarantined


def test_running_the_file_again_after_a_first_load_changes_nothing(export, accounts_profile, imported):
    first = imported(accounts_profile, export, initial_load=True)
    counts = (Customer.objects.count(), Account.objects.count(), Contact.objects.count())

    second = imported(accounts_profile, export, initial_load=True)

    assert not second.initial_load
    assert (Customer.objects.count(), Account.objects.count(), Contact.objects.count()) == counts
    assert second.applied == second.updated == 0 and second.quarantined == first.quarantined


def test_a_failed_first_load_builds_its_indexes_again(export, accounts_profile, imported, monkeypatch):
    before = index_names()
    applied = CustomerAccountApplier.apply_frame
    calls = []

    def fail_on_the_third_chunk(self, frame):
        calls.append(frame.height)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return applied(self, frame)

    monkeypatch.setattr(CustomerAccountApplier, "apply_frame", fail_on_the_third_chunk)

    with pytest.raises(RuntimeError):
        imported(accounts_profile, export, initial_load=True, chunk_rows=1)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED and run.cursor == 2
    assert run.deferred_indexes == [] and index_names() == before


def test_a_second_first_load_under_way_goes_the_usual_way(export, accounts_profile, imported):
    other = ImportRun.objects.create(
        profile=accounts_profile,
        kind=accounts_profile.kind,
        channel=ImportRun.Channel.COMMAND,
        file_path=str(export),
        file_name="other.csv",
        initial_load=True,
        status=ImportRun.Status.RUNNING,
    )
    before = index_names()

    run, during = _watching_indexes(imported, accounts_profile, export)

    assert other.pk != run.pk and not run.initial_load
    assert during == [before] * 5
