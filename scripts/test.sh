#!/usr/bin/env bash
# Install everything (test tools included) and run the test suite; other arguments go to pytest.
#   bash scripts/test.sh          everything: lint, types and every test (what CI runs)
#   bash scripts/test.sh --fast   lint and the tests that need no LibreOffice, PostgreSQL, S3 server
#                                 or browser (pytest --fast, see tests/tiers.py); no mypy
#   bash scripts/test.sh tests/test_cli.py -k publish    pytest's arguments, as usual
# The tests run in one process per core (pytest-xdist), each test file in one of them, since the
# files share costly module fixtures (archives published through LibreOffice), the costliest
# files first (tests/schedule.py); -n 0 runs them in this one process, which helps a debugger.
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
else
  .venv/bin/mypy
  .venv/bin/mypy bench scripts  # the benchmarks and scripts call the library too: a rename must not break them unseen
fi
# Each worker starts a PostgreSQL cluster, an S3 server and LibreOffice of its own: four at most.
exec .venv/bin/python -m pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder ${fast:+--fast} \
  "${args[@]}"
