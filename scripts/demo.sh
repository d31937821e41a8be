#!/usr/bin/env bash
# Quick start: install everything, create ./archive and publish the example act into it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ATTI_ARCHIVE="${ATTI_ARCHIVE:-archive}"
.venv/bin/atti init
example=examples/determinazione-DO-129-2026.yaml
if pdf=$(.venv/bin/atti show DO-2026-129 --json 2>/dev/null | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["pdf"])'); then
  echo "The example act is already in the archive."
  echo "Signed PDF: $pdf"
else
  .venv/bin/atti publish "$example"
fi
