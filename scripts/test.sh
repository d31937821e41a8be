#!/usr/bin/env bash
# Install everything (test tools included) and run the test suite; other arguments go to pytest.
#   bash scripts/test.sh          everything: lint, types, every test (what CI runs)
#   bash scripts/test.sh --fast   lint and the tests that need no LibreOffice, PostgreSQL, S3 server
#                                 or browser (pytest --fast, see tests/tiers.py); no mypy
#   bash scripts/test.sh tests/test_cli.py -k publish    pytest's arguments, as usual
set -euo pipefail
cd "$(dirname "$0")/.."

fast=""
args=()
for arg in "$@"; do
  if [ "$arg" = "--fast" ]; then fast=1; else args+=("$arg"); fi
done

bash scripts/setup.sh --test
.venv/bin/ruff check src tests bench scripts
if [ -n "$fast" ]; then
  echo "mypy skipped (--fast): bash scripts/test.sh runs it"
  exec .venv/bin/python -m pytest --fast "${args[@]}"
fi
.venv/bin/mypy
exec .venv/bin/python -m pytest "${args[@]}"
