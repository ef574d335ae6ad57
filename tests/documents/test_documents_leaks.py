"""The documents' URLs through the project-wide leak check (tests/test_access_leaks.py), on their own:
a stranger and staff of another branch get nothing of the victim's documents, bills' PDFs or files."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import get_resolver

from tests.factories import StaffUserFactory
from tests.test_access_leaks import ALLOWED_STATUSES, PARAMETER, assert_no_leak, victim_ids, walk

PREFIXES = ("cabinet/documents/", "console/documents/")


def documents_paths(account) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the documents' routes with the victim's ids (other areas' routes are their own tests')."""
    ids = victim_ids(account)
    paths = [
        "/" + PARAMETER.sub(lambda m: str(ids[m.group("name")]()), route)
        for route, _ in walk(get_resolver().url_patterns)
        if route.startswith(PREFIXES) and PARAMETER.search(route)
    ]
    assert len(paths) >= 10, paths
    return paths


def test_stranger_sees_nothing_of_the_victims_documents(client_for, stranger, customer, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(stranger)
    for path in documents_paths(account):
        assert_no_leak(client, path, account)


def test_staff_of_another_branch_see_nothing_of_the_victims_documents(
    client_for, customer, account, other_account
) -> None:  # type: ignore[no-untyped-def]
    # A fixed name: a random one could be the victim's, and the page header shows the viewer's own name.
    outsider = StaffUserFactory(staff_role="operator", branch=other_account.branch, last_name="Посторонняя")
    client = client_for(outsider)
    for path in documents_paths(account):
        assert_no_leak(client, path, account)


def test_documents_api_leaks_nothing_to_a_stranger(client_for, stranger, customer, account) -> None:  # type: ignore[no-untyped-def]
    schema = Client().get("/api/openapi.json").json()
    ids = victim_ids(account)
    client = client_for(stranger)
    checked = 0
    for template, operations in schema["paths"].items():
        if not template.startswith("/api/v1/documents/") or "{" not in template:
            continue
        path = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]()), template)
        for method in operations:
            response = client.generic(method.upper(), path, data="{}", content_type="application/json")
            assert response.status_code in ALLOWED_STATUSES, f"{method} {path} → {response.status_code}"
            assert account.number not in response.content.decode(errors="replace")
            checked += 1
    assert checked >= 3
