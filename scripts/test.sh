#!/usr/bin/env bash
# Run the whole test suite. With CI=true a missing PostgreSQL/Redis server is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/pytest "$@"
