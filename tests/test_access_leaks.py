"""Walk every URL and API operation as someone with no access to the victim's account: 0 leaks.

The victim is the `customer` persona's `account`. Every route whose path names an object is called
with the victim's object ids by the `stranger` (a customer of another account) and by staff of
another branch; GET and POST must answer "not found", "forbidden" or a redirect to sign in, and
never show the victim's account number or name. A new route with a parameter this file does not
know fails the test, so that whoever adds it says which object it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from abonent.documents.models import DocumentTemplate
from abonent.metering.models import Meter
from tests.billing import helpers as billing
from tests.documents import helpers as documents
from tests.factories import MeterFactory, StaffUserFactory
from tests.integration import helpers as integration
from tests.payments.helpers import payment_on

pytestmark = pytest.mark.django_db

ALLOWED_STATUSES = {302, 400, 401, 403, 404, 405, 422}
SKIPPED_PREFIXES = ("admin/", "static/", "media/", "jsi18n/", "i18n/")

# Which of the victim's objects a path parameter names; extend it when a route adds a parameter.
VictimIds = dict[str, Callable[[], object]]


def victim_ids(account) -> VictimIds:  # type: ignore[no-untyped-def]
    meter = Meter.objects.filter(account=account).first() or MeterFactory(account=account)
    access = account.accesses.first()
    return {
        "account_id": lambda: account.pk,
        "pk": lambda: account.pk,
        "meter_id": lambda: meter.pk,
        "access_id": lambda: access.pk,
        "customer_id": lambda: account.customer_id,
        "number": lambda: account.number,
        "account_number": lambda: account.number,
        "payment_ref": lambda: payment_on(account).public_id,
        # A gateway's hosted page and a pay link are capabilities (whoever holds the random id or the
        # signed token may pay); a made-up one must be refused. tests/payments covers the real ones.
        "sandbox_id": lambda: "sbx_0123456789abcdef01234567",
        "token": lambda: "tampered-token",
        "gateway": lambda: "sandbox",
        "report_id": lambda: 1,  # reconciliation reports name no account; staff with the right only
        "document_id": lambda: documents.document_on(account).pk,
        "attachment_id": lambda: documents.attachment_on(account).pk,
        "template_id": lambda: DocumentTemplate.objects.values_list("pk", flat=True).first(),
        "run_id": lambda: documents.run_on(account).pk,
        "batch_id": lambda: documents.batch_on(account).pk,
        "import_run_id": lambda: integration.run_on(account).pk,
        "quarantined_id": lambda: integration.quarantined_on(account).pk,
        "duplicate_id": lambda: integration.duplicate_on(account).pk,
        "merge_id": lambda: integration.merge_on(account).pk,
        # The integration API belongs to source systems' tokens: a customer's session reaches none of it.
        "source_code": lambda: integration.run_on(account).profile.source.code,
        "kind": lambda: "accounts",
        "import_id": lambda: integration.run_on(account).pk,
        "profile_id": lambda: integration.run_on(account).profile_id,  # staff-only; names no account
        "bill_id": lambda: billing.bill_on(account).pk,
    }


def walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, list(entry.pattern.converters)


PARAMETER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def concrete_paths(ids: VictimIds) -> Iterator[str]:
    for route, _ in walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("^"):
            continue
        names = [m.group("name") for m in PARAMETER.finditer(route)]
        if not names:
            continue
        unknown = [name for name in names if name not in ids]
        assert not unknown, f"{route}: teach tests/test_access_leaks.py which object {unknown} names"
        yield "/" + PARAMETER.sub(lambda m: str(ids[m.group("name")]()), route)


def assert_no_leak(client: Client, path: str, account) -> None:  # type: ignore[no-untyped-def]
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        body = response.content.decode(errors="replace")
        assert response.status_code in ALLOWED_STATUSES, f"{method.upper()} {path} → {response.status_code}"
        assert account.number not in body, f"{method.upper()} {path} shows the victim's account number"
        assert account.customer.last_name not in body or not account.customer.last_name, (
            f"{path} shows the name"
        )


def test_stranger_sees_nothing_of_the_victim(client_for, stranger, customer, account) -> None:  # type: ignore[no-untyped-def]
    paths = list(concrete_paths(victim_ids(account)))
    assert paths, "no routes with object parameters found"
    client = client_for(stranger)
    for path in paths:
        assert_no_leak(client, path, account)


def test_staff_of_another_branch_see_nothing_of_the_victim(
    client_for, customer, account, other_account
) -> None:  # type: ignore[no-untyped-def]
    # A fixed name: a random one could be the victim's, and the page header shows the viewer's own name.
    outsider = StaffUserFactory(staff_role="operator", branch=other_account.branch, last_name="Посторонняя")
    client = client_for(outsider)
    for path in concrete_paths(victim_ids(account)):
        assert_no_leak(client, path, account)


def test_api_operations_leak_nothing(client_for, stranger, customer, account) -> None:  # type: ignore[no-untyped-def]
    schema = Client().get("/api/openapi.json").json()
    ids = victim_ids(account)
    client = client_for(stranger)
    checked = 0
    for template, operations in schema["paths"].items():
        names = re.findall(r"{(\w+)}", template)
        if not names:
            continue
        unknown = [name for name in names if name not in ids]
        assert not unknown, f"{template}: teach tests/test_access_leaks.py which object {unknown} names"
        path = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]()), template)
        for method in operations:
            response = client.generic(method.upper(), path, data="{}", content_type="application/json")
            body = response.content.decode(errors="replace")
            assert response.status_code in ALLOWED_STATUSES, (
                f"{method.upper()} {path} → {response.status_code}"
            )
            assert account.number not in body, f"{method.upper()} {path} shows the victim's account number"
            checked += 1
    assert checked >= 1
