"""Reload the bundled reference data: key rates, the rate cap, moratoria, penalty scales, due rules.

The data migration loads it on `migrate`; a flush (`manage.py demo --reset`, transactional tests)
empties those tables, so whatever flushes calls this afterwards. It only adds or updates the
bundled rows: rows added in the admin stay.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.db import transaction

# The loader lives in the migration that first ran it; reuse it rather than keep a second copy.
_MIGRATION = importlib.import_module("abonent.billing.migrations.0002_reference_data_and_append_only_ledger")


@transaction.atomic
def load_reference_data() -> None:
    """Create or update the bundled reference rows."""
    _MIGRATION.load_reference(apps.get_model)
