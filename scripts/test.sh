#!/usr/bin/env bash
# Run the whole test suite. With CI=true a missing PostgreSQL/Redis server is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Makefile exports the production settings module for manage.py; tests always use the test settings.
export DJANGO_SETTINGS_MODULE=abonent.config.settings_test
exec .venv/bin/pytest "$@"
