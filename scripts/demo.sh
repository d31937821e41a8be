#!/usr/bin/env bash
# Quick start: install everything, create ./archive and publish the example act into it, in
# development mode: the archive's development CA signs in the firmatario's name (NOT a firma digitale).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ATTI_ARCHIVE="${ATTI_ARCHIVE:-archive}"
.venv/bin/atti init
example=examples/determinazione-DO-129-2026.yaml
if .venv/bin/atti show DO-2026-129 >/dev/null 2>&1; then
  echo "The example act is already in the archive ($ATTI_ARCHIVE):"
  .venv/bin/atti show DO-2026-129 | grep -E '^ *(id|firmatario|pdf):'
else
  .venv/bin/atti publish --development "$example"
fi
