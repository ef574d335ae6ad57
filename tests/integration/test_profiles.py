"""The import-profile builder: suggestions, transformations, the mapping's checks, the preview, saving."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.integration import profiles as builder
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportProfile, ImportRun, SourceSystem
from abonent.integration.profiles import ColumnRule, NewSource, ProfileInvalid, ProfileSettings

pytestmark = pytest.mark.django_db

# Russian headers in an order no alias list expects; "Моб. телефон" is no alias of any field.
HEADER = "Моб. телефон;ФИО;Лицевой счёт;Дом;Улица;Код  абонента;ИНН;Дата рождения;Населённый пункт;E-MAIL;Кв."
ROWS = (
    "8 (912) 345-67-89;Иванов Иван Иванович;100200300;5;Ленина;C-1;;05.11.1980;Пермь;Ivanov@Example.com;12",
    "+7 912 000 11 22;Петрова Анна Сергеевна;100200301;7;Мира;C-2;;31.02.1985;Пермь;;3",
    "12345;Сидоров Пётр Ильич;100200302;9;Мира;C-3;;01.01.1970;Пермь;sidorov@example.com;4",
)


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are compared in English here; test_messages_are_russian_by_default checks Russian."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def sample_bytes(encoding: str = "cp1251") -> bytes:
    return "\r\n".join((HEADER, *ROWS)).encode(encoding) + b"\r\n"


@pytest.fixture
def token() -> str:
    return builder.store_sample(chunks=[sample_bytes()])


@pytest.fixture
def sample(token: str) -> builder.Sample:
    return builder.read_sample(token=token, kind=FileKind.ACCOUNTS)


def rules_for(sample: builder.Sample, **changes: str) -> list[ColumnRule]:
    """The suggested rules with some columns given another field."""
    return [
        ColumnRule(rule.column, changes.get(rule.column, rule.field))
        for rule in builder.suggested_rules(sample.names, FileKind.ACCOUNTS)
    ]


# --- suggest_mapping --------------------------------------------------------------------------------------
def test_suggest_mapping_finds_fields_by_alias_ignoring_case_yo_and_spaces():
    columns = ["Лицевой Счёт", " ФИО ", "Код  абонента", "E-MAIL", "ТЕЛ.", "Account_Number", "Примечание"]
    suggested = builder.suggest_mapping(columns, FileKind.ACCOUNTS)
    assert suggested == {
        "Лицевой Счёт": "account_number",
        " ФИО ": "full_name",
        "Код  абонента": "external_id",
        "E-MAIL": "email",
        "ТЕЛ.": "phone",
    }  # "Account_Number" names a field already taken; "Примечание" names none


def test_suggest_mapping_uses_the_fields_of_the_kind():
    assert builder.suggest_mapping(["Сумма", "Номер ЛС", "Дата оплаты", "ФИО"], FileKind.PAYMENTS) == {
        "Сумма": "amount",
        "Номер ЛС": "account_number",
        "Дата оплаты": "paid_on",
    }


def test_the_sample_is_read_as_an_import_reads_it(sample):
    table = sample.table
    assert (table.encoding, table.delimiter, table.has_header) == ("cp1251", ";", True)
    assert sample.names[:3] == ["Моб. телефон", "ФИО", "Лицевой счёт"]
    assert sample.columns[0].values == ("8 (912) 345-67-89", "+7 912 000 11 22", "12345")


# --- transformations --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "argument", "stored"),
    [
        ("digits", "", "digits"),
        ("word", "2", "word:2"),
        ("prefix", "00", "prefix:00"),
        ("replace", "-=", {"replace": ["-", ""]}),
        ("map", "1=electricity; 2 = gas", {"map": {"1": "electricity", "2": "gas"}}),
        ("regex", r"д\.\s*(\d+)", {"regex": r"д\.\s*(\d+)"}),
        ("default", "", {"default": ""}),
    ],
)
def test_a_transformation_is_stored_as_the_profile_reads_it(code, argument, stored):
    assert builder.build_step(code, argument) == stored
    assert builder.build_step(*builder.step_as_pair(stored)) == stored  # and read back for editing


@pytest.mark.parametrize(
    ("code", "argument", "message"),
    [
        ("shout", "", "Unknown transformation"),
        ("word", "two", "whole number"),
        ("word", "0", "whole number"),
        ("prefix", "", "needs a value"),
        ("replace", "no sign", "from=to"),
        ("map", "a;b", "theirs=ours"),
        ("regex", r"\d+", "one group"),
        ("regex", "(", "one group"),
    ],
)
def test_a_wrong_transformation_is_a_specific_error(code, argument, message):
    with pytest.raises(ProfileInvalid) as caught:
        builder.build_step(code, argument)
    assert message in caught.value.errors[0]


# --- the mapping and its checks ---------------------------------------------------------------------------
def test_the_mapping_names_the_chosen_columns_and_pins_the_ones_left_out(sample):
    rules = rules_for(sample, **{"Моб. телефон": "phone", "E-MAIL": ""})
    mapping, errors = builder.build_mapping(
        kind=FileKind.ACCOUNTS, rules=rules, constants={"opened_on": "01.01.2020"}, columns=sample.names
    )
    assert errors == []
    assert mapping["phone"] == "Моб. телефон" and mapping["account_number"] == "Лицевой счёт"
    assert mapping["email"] == {"constant": ""}  # "E-MAIL" would otherwise fill it by its name
    assert mapping["opened_on"] == {"constant": "01.01.2020"}
    assert builder.missing_required(FileKind.ACCOUNTS, mapping) == []


def test_one_field_from_two_columns_is_an_error(sample):
    rules = rules_for(sample, **{"Моб. телефон": "phone", "ИНН": "phone"})
    _mapping, errors = builder.build_mapping(
        kind=FileKind.ACCOUNTS, rules=rules, constants={}, columns=sample.names
    )
    assert errors == ["“phone” is taken from several columns: “Моб. телефон”, “ИНН”. Choose one."]


def test_one_column_feeds_two_fields_only_in_different_parts(sample):
    def errors_for(first: tuple, second: tuple) -> list[str]:
        rules = [
            *rules_for(sample, ФИО=""),
            ColumnRule("ФИО", "last_name", first),
            ColumnRule("ФИО", "first_name", second),
        ]
        return builder.build_mapping(kind=FileKind.ACCOUNTS, rules=rules, constants={}, columns=sample.names)[
            1
        ]

    assert errors_for((("word", "1"),), (("word", "2"),)) == []
    assert "feeds several fields" in errors_for((), ())[0]
    assert "feeds several fields" in errors_for((("word", "1"),), (("word", "1"),))[0]


def test_a_column_and_a_constant_for_one_field_is_an_error(sample):
    _mapping, errors = builder.build_mapping(
        kind=FileKind.ACCOUNTS, rules=rules_for(sample), constants={"house": "1"}, columns=sample.names
    )
    assert errors == ["“house” has both a column and a constant value: keep one."]


def test_unknown_fields_columns_and_steps_are_errors(sample):
    rules = [
        ColumnRule("ФИО", "meter"),
        ColumnRule("Нет такой", "phone"),
        ColumnRule("ИНН", "inn", (("word", "x"),)),
    ]
    _mapping, errors = builder.build_mapping(
        kind=FileKind.ACCOUNTS, rules=rules, constants={}, columns=sample.names
    )
    assert errors == [
        "“meter” is not a field of this kind of file.",
        "The sample has no column “Нет такой”.",
        "ИНН: “The N-th word” needs a whole number from 1: x.",
    ]


@pytest.mark.parametrize(
    ("kind", "mapping", "missing"),
    [
        (FileKind.READINGS, {"account_number": "ЛС", "t1": "П"}, ["meter", "date"]),
        (
            FileKind.CUSTOMERS,
            {"last_name": "Ф"},
            ["client code", "full name or last name + first name or company name"],
        ),
        (FileKind.CUSTOMERS, {"external_id": "К", "company_name": "Н"}, []),
        (
            FileKind.ACCOUNTS,
            {"external_id": "К", "full_name": "Ф", "account_number": "Л", "street": {"constant": ""}},
            ["street", "house"],
        ),
    ],
)
def test_missing_required_fields_are_named(kind, mapping, missing):
    assert builder.missing_required(kind, mapping) == missing


# --- the preview --------------------------------------------------------------------------------------------
def test_the_preview_cleans_the_first_rows_as_an_import_would(sample):
    rules = rules_for(sample, **{"Моб. телефон": "phone"})
    mapping, errors = builder.build_mapping(
        kind=FileKind.ACCOUNTS, rules=rules, constants={}, columns=sample.names
    )
    preview = builder.preview_sample(sample=sample, kind=FileKind.ACCOUNTS, mapping=mapping, errors=errors)
    assert preview.missing == () and preview.errors == ()
    names = [name for name, _label in preview.fields]
    assert {"phone", "last_name", "first_name", "birth_date"} <= set(names)  # the parts of the full name too
    first, second, third = ({c.field: c for c in row.cells} for row in preview.rows)
    assert (first["phone"].state, first["phone"].original, first["phone"].value) == (
        "repaired",
        "8 (912) 345-67-89",
        "+79123456789",
    )
    assert first["email"].value == "ivanov@example.com" and preview.rows[0].state == "ready"
    assert second["birth_date"].state == "refused" and preview.rows[1].state == "quarantined"
    assert second["birth_date"].reasons == ("Not a date, or out of range: birth date",)
    assert third["phone"].state == "dropped" and preview.rows[2].state == "ready"
    assert ("Phones rewritten as +7XXXXXXXXXX", 2) in preview.rules


def test_the_preview_names_missing_required_fields(sample):
    rules = rules_for(sample, **{"Лицевой счёт": "", "Дом": ""})
    mapping, _errors = builder.build_mapping(
        kind=FileKind.ACCOUNTS, rules=rules, constants={}, columns=sample.names
    )
    preview = builder.preview_sample(sample=sample, kind=FileKind.ACCOUNTS, mapping=mapping)
    assert preview.missing == ("account number", "house")
    assert all(row.state == "quarantined" for row in preview.rows)


# --- samples ------------------------------------------------------------------------------------------------
def test_a_sample_over_the_limit_is_refused_and_not_kept():
    with pytest.raises(builder.SampleTooLarge):
        builder.store_sample(chunks=[b"a;b\n" * 10, b"c;d\n" * 10], limit=50)
    assert list(builder.samples_dir().glob("*")) == []


@pytest.mark.parametrize("token", ["../../settings", "x", "a" * 30 + "/..", ""])
def test_only_a_kept_token_names_a_sample(token):
    with pytest.raises(builder.SampleExpired):
        builder.sample_path(token)


# --- saving -------------------------------------------------------------------------------------------------
def settings_for(name: str = "Лицевые счета", **changes: object) -> ProfileSettings:
    return ProfileSettings(name=name, kind=FileKind.ACCOUNTS, **changes)  # type: ignore[arg-type]


def test_saving_creates_the_source_and_the_profile_with_audit(sample, branch, integration_admin):
    profile = builder.save_profile(
        profile=None,
        source=NewSource(code="raschet2", name="Расчёт-2", branch_id=branch.pk),
        profile_settings=settings_for(schedule="*/15 * * * *"),
        rules=rules_for(sample, **{"Моб. телефон": "phone"}),
        constants={},
        columns=sample.names,
        saved_by=integration_admin,
    )
    assert profile.source.code == "raschet2" and profile.source.branch == branch
    assert profile.mapping["phone"] == "Моб. телефон" and profile.schedule == "*/15 * * * *"
    events = AuditEvent.objects.filter(actor=integration_admin, action=AuditEvent.Action.CREATE)
    assert {e.object_type for e in events} == {"integration.SourceSystem", "integration.ImportProfile"}


def test_saving_a_change_audits_what_changed(sample, accounts_profile, integration_admin):
    builder.save_profile(
        profile=accounts_profile,
        source=accounts_profile.source,
        profile_settings=settings_for(accounts_profile.name, delimiter=";"),
        rules=rules_for(sample),
        constants={},
        columns=sample.names,
        saved_by=integration_admin,
    )
    accounts_profile.refresh_from_db()
    assert accounts_profile.delimiter == ";"
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(accounts_profile.pk))
    assert (
        event.changes["delimiter"] == ["", ";"] and "mapping" in event.changes and "name" not in event.changes
    )


def test_saving_refuses_an_invalid_profile_with_every_error(sample, source, integration_admin, settings):
    settings.INTEGRATION_WATCH_ROOTS = ["/srv/exchange"]
    with pytest.raises(ProfileInvalid) as caught:
        builder.save_profile(
            profile=None,
            source=source,
            profile_settings=settings_for(
                " ", watch_folder="/etc", file_pattern="../*", schedule="every day"
            ),
            rules=rules_for(sample, **{"Лицевой счёт": "", "Моб. телефон": "inn"}),
            constants={},
            columns=sample.names,
            saved_by=integration_admin,
        )
    assert caught.value.errors == [
        "The profile needs a name.",
        "A file name pattern is a name with * and ?, without folders: ../*.",
        "A watched folder must be a full path inside /srv/exchange.",
        "Not a cron schedule (five fields, e.g. */15 * * * *): every day.",
        "“INN” is taken from several columns: “Моб. телефон”, “ИНН”. Choose one.",
        "Required fields of this kind of file are not mapped: account number.",
    ]
    assert not ImportProfile.objects.exists()


def test_a_second_profile_of_the_same_name_is_refused(sample, accounts_profile, integration_admin):
    with pytest.raises(ProfileInvalid, match="already has a profile named"):
        builder.save_profile(
            profile=None,
            source=accounts_profile.source,
            profile_settings=settings_for(accounts_profile.name),
            rules=rules_for(sample),
            constants={},
            columns=sample.names,
            saved_by=integration_admin,
        )


def test_a_new_source_with_a_taken_code_is_refused(sample, source, integration_admin):
    with pytest.raises(ProfileInvalid, match="already exists"):
        builder.save_profile(
            profile=None,
            source=NewSource(code=source.code, name="Двойник"),
            profile_settings=settings_for(),
            rules=rules_for(sample),
            constants={},
            columns=sample.names,
            saved_by=integration_admin,
        )


def test_a_saved_profile_imports_the_sample_file(sample, token, source, integration_admin, imported):
    profile = builder.save_profile(
        profile=None,
        source=source,
        profile_settings=settings_for(),
        rules=rules_for(sample, **{"Моб. телефон": "phone"}),
        constants={},
        columns=sample.names,
        saved_by=integration_admin,
    )
    run = imported(profile, builder.sample_path(token))
    assert (run.applied, run.quarantined) == (2, 1)
    account = Account.objects.select_related("customer").get(number="100200300")
    assert account.customer.last_name == "Иванов"
    phones = account.customer.contacts.filter(kind="phone").values_list("value", flat=True)
    assert list(phones) == ["+79123456789"]
    reloaded, constants = builder.rules_from_profile(profile, sample.names)
    assert ColumnRule("Моб. телефон", "phone") in reloaded and constants == {}


# --- the pages ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["stranger", "operator", "specialist", "head", "customer"])
def test_only_integration_admins_reach_the_builder(request, client_for, persona, accounts_profile):
    client = client_for(request.getfixturevalue(persona))
    for url in (
        reverse("console_integration:profiles"),
        reverse("console_integration:profile_new"),
        reverse("console_integration:profile_edit", args=[accounts_profile.pk]),
        reverse("console_integration:profile_builder", args=["a" * 32]),
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 404), url
            if response.status_code == 302:
                assert response.url.startswith(reverse("login")), url
            assert accounts_profile.name not in response.content.decode()
    assert ImportProfile.objects.count() == 1


def test_a_draft_of_another_session_is_not_found(client_for, integration_admin, source):
    author = client_for(integration_admin)
    response = author.post(
        reverse("console_integration:profile_new"),
        {"source": source.pk, "kind": FileKind.ACCOUNTS, "sample": _upload()},
    )
    assert response.status_code == 302
    other = client_for(integration_admin)  # the same person on another device: another session
    assert other.get(response.url).status_code == 404
    assert author.get(response.url).status_code == 200


def _upload(name: str = "export.csv") -> io.BytesIO:
    upload = io.BytesIO(sample_bytes())
    upload.name = name
    return upload


def _builder_post(page: str, **changes: str) -> dict[str, str]:
    """The builder form's values as a browser would post them, from the rendered page."""
    import re

    data: dict[str, str] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        data[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data.setdefault(name, value)
    data.pop("csrfmiddlewaretoken", None)
    data.update(changes)
    return data


def test_an_admin_builds_previews_and_saves_a_profile(client_for, integration_admin, branch):
    client = client_for(integration_admin)
    start = client.post(
        reverse("console_integration:profile_new"),
        {
            "new_code": "raschet3",
            "new_name": "Расчёт-3",
            "new_branch": branch.pk,
            "kind": FileKind.ACCOUNTS,
            "sample": _upload(),
        },
    )
    assert start.status_code == 302
    page = client.get(start.url).content.decode()
    assert "Моб. телефон" in page and "8 (912) 345-67-89" in page
    data = _builder_post(page)
    phone_rule = next(k for k, v in data.items() if k.endswith("-column") and v == "0").replace(
        "column", "field"
    )
    assert data[phone_rule] == "" and data["rule-2-field"] == "account_number"  # suggested from the names

    data[phone_rule] = "phone"
    fragment = client.post(start.url, {**data, "preview": "1"}, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert html.startswith('<section id="profile-preview"') and "+79123456789" in html
    assert "Not a date, or out of range: birth date" in html

    full = client.post(start.url, {**data, "preview": "1"}).content.decode()
    assert "<html" in full and "+79123456789" in full

    no_account = client.post(start.url, {**data, "rule-2-field": "", "save": "1"})
    assert no_account.status_code == 200 and "account number" in no_account.content.decode()
    assert not ImportProfile.objects.exists()

    saved = client.post(start.url, {**data, "name": "Абоненты Расчёт-3", "save": "1"})
    assert saved.status_code == 302 and saved.url == reverse("console_integration:profiles")
    profile = ImportProfile.objects.get(name="Абоненты Расчёт-3")
    assert profile.source.code == "raschet3" and profile.mapping["phone"] == "Моб. телефон"
    assert client.get(start.url).status_code == 404  # the draft and its sample are gone
    listing = client.get(saved.url).content.decode()
    assert "Абоненты Расчёт-3" in listing and "raschet3" in listing


def test_the_profile_list_shows_each_profiles_last_run(
    client_for, integration_admin, profile_for, django_assert_max_num_queries
):
    profiles = [profile_for(FileKind.ACCOUNTS), profile_for(FileKind.PAYMENTS), profile_for(FileKind.CHARGES)]
    for profile in profiles[:2]:
        ImportRun.objects.create(
            profile=profile,
            kind=profile.kind,
            channel="upload",
            file_path="/x",
            file_name=f"{profile.kind}.csv",
        )
    client = client_for(integration_admin)
    with django_assert_max_num_queries(12):  # session, user, permissions, then 3 for the sources
        page = client.get(reverse("console_integration:profiles")).content.decode()
    assert "accounts.csv" not in page  # runs are linked by date, not named
    assert page.count('data-testid="run-status"') == 2 and page.count('data-testid="edit-profile"') == 3


def test_editing_starts_from_the_saved_mapping(client_for, integration_admin, accounts_profile):
    accounts_profile.mapping = {"phone": "Моб. телефон", "email": {"constant": ""}}
    accounts_profile.save()
    client = client_for(integration_admin)
    start = client.post(
        reverse("console_integration:profile_edit", args=[accounts_profile.pk]), {"sample": _upload()}
    )
    assert start.status_code == 302
    data = _builder_post(client.get(start.url).content.decode())
    fields = {data[k.replace("field", "column")]: v for k, v in data.items() if k.endswith("-field")}
    assert fields["0"] == "phone"  # "Моб. телефон", as saved
    assert fields["9"] == ""  # "E-MAIL" stays out, as saved
    assert fields["2"] == "account_number"  # not in the saved mapping: found by its name, as an import would
    assert data["name"] == accounts_profile.name


def test_the_source_system_and_kind_are_required_at_the_start(client_for, integration_admin):
    client = client_for(integration_admin)
    response = client.post(
        reverse("console_integration:profile_new"), {"kind": "accounts", "sample": _upload()}
    )
    assert response.status_code == 200
    assert "Choose a source system, or give the new one a code and a name." in response.content.decode()
    assert not SourceSystem.objects.exists() and not list(Path(builder.samples_dir()).glob("*.sample"))


def test_messages_are_russian_by_default(sample):
    rules = rules_for(sample, **{"Лицевой счёт": "", "Моб. телефон": "inn"})
    with translation.override("ru"):
        mapping, errors = builder.build_mapping(
            kind=FileKind.ACCOUNTS, rules=rules, constants={}, columns=sample.names
        )
        missing = builder.missing_required_message(builder.missing_required(FileKind.ACCOUNTS, mapping))
    assert errors == ["Поле «ИНН» берётся из нескольких столбцов: «Моб. телефон», «ИНН». Выберите один."]
    assert missing == "Не сопоставлены обязательные поля файла этого вида: номер лицевого счёта."


def test_an_xlsx_sample_is_read_and_previewed(tmp_path):
    import xlsxwriter

    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row, values in enumerate(
        [
            ["Дата оплаты", "Сумма", "Номер ЛС", "Номер платежа"],
            ["05.11.2026", "1 234,56", "100200300", "P-1"],
        ]
    ):
        sheet.write_row(row, 0, values)
    book.close()
    token = builder.store_sample(chunks=[path.read_bytes()])
    sample = builder.read_sample(token=token, kind=FileKind.PAYMENTS)
    assert sample.table.encoding == "xlsx"
    rules = builder.suggested_rules(sample.names, FileKind.PAYMENTS)
    assert [rule.field for rule in rules] == ["paid_on", "amount", "account_number", "payment_id"]
    mapping, errors = builder.build_mapping(
        kind=FileKind.PAYMENTS, rules=rules, constants={}, columns=sample.names
    )
    preview = builder.preview_sample(sample=sample, kind=FileKind.PAYMENTS, mapping=mapping, errors=errors)
    cells = {cell.field: cell for cell in preview.rows[0].cells}
    assert (cells["amount"].state, cells["amount"].value) == ("repaired", "1234.56")
    assert preview.rows[0].state == "ready" and preview.missing == ()


def test_another_field_from_one_column_is_added_on_request(client_for, integration_admin, source):
    client = client_for(integration_admin)
    start = client.post(
        reverse("console_integration:profile_new"),
        {"source": source.pk, "kind": FileKind.ACCOUNTS, "sample": _upload()},
    )
    data = _builder_post(client.get(start.url).content.decode())
    page = client.post(start.url, {**data, "split": "1"}).content.decode()  # the second column, "ФИО"
    assert page.count('data-column="ФИО"') == 2 and 'name="rule-11-field"' in page
    data = _builder_post(
        page, **{"rule-1-field": "", "rule-2-field": "last_name", "rule-2-step-0-kind": "word"}
    )
    data["rule-2-step-0-arg"] = "1"
    page = client.post(start.url, {**data, "preview": "1"}).content.decode()
    assert (
        'data-field="last_name"' in page and "Иванов" in page and 'data-testid="mapping-errors"' not in page
    )
