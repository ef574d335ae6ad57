"""Fixtures of the integration tests: a source system with profiles, an integration admin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction

from abonent.core.models import Branch
from abonent.identity.models import StaffRole, User
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportProfile, ImportRun, SourceSystem
from abonent.integration.services import run_import, start_import
from tests.factories import StaffUserFactory


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def source(branch: Branch) -> SourceSystem:
    return SourceSystem.objects.create(code="legacy", name="Старый биллинг", branch=branch)


@pytest.fixture
def profile_for(source: SourceSystem) -> Callable[..., ImportProfile]:
    def make(kind: str = FileKind.ACCOUNTS, **fields: object) -> ImportProfile:
        return ImportProfile.objects.create(
            source=source, name=f"{kind} {ImportProfile.objects.count()}", kind=kind, **fields
        )

    return make


@pytest.fixture
def accounts_profile(profile_for) -> ImportProfile:
    return profile_for(FileKind.ACCOUNTS)


@pytest.fixture
def integration_admin(db) -> User:
    user = StaffUserFactory(
        username="integrator", staff_role=StaffRole.SPECIALIST, email="integrator@example.com"
    )
    user.user_permissions.add(Permission.objects.get(codename="administer_integration"))
    return user


@pytest.fixture
def imported() -> Callable[..., ImportRun]:
    """Start and run an import of a file synchronously; return the finished run."""

    def run(profile: ImportProfile, path: Path, initial_load: bool = False, **options: object) -> ImportRun:
        with transaction.atomic():
            started = start_import(
                profile=profile,
                path=path,
                channel=ImportRun.Channel.COMMAND,
                enqueue=False,
                initial_load=initial_load,
            )
        return run_import(run_id=started.pk, **options)

    return run
