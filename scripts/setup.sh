#!/usr/bin/env bash
# Installs everything atti needs on Debian 12: the Debian packages (only those missing) and the
# project's virtualenv in .venv, with the Python packages at the versions requirements/lock.txt
# pins. Safe to run again: it skips what is already there, and prints nothing then.
#   bash scripts/setup.sh          runtime only: what scripts/demo.sh and the atti commands need
#   bash scripts/setup.sh --test   runtime plus what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

test=""
[ "${1:-}" = "--test" ] && test=1

# Runtime: what atti init/publish (scripts/demo.sh), check, render, verify, search, show, import
# and serve use. python3-pip is not needed: the venv's pip comes from python3-venv's own wheel.
debian_packages=(
  python3 python3-venv                   # Debian 12's Python 3.11 and its venv module: .venv
  libreoffice-writer-nogui               # DOCX -> PDF/A conversion, headless (render, publish)
  python3-uno                            # drives one LibreOffice kept running, for many acts at once (render DIR)
  fonts-liberation2 fonts-dejavu-core    # the templates' fonts, embedded into the PDF/A; the signature stamp's font
  poppler-utils                          # pdftotext: import of PDFs, proof, stamp placement; pdftoppm: serve's page previews
)
# Only for the tests. A PostgreSQL archive is a body's deployment choice (the driver, psycopg, is
# a Python dependency): the server is installed only for the tests, which start their own cluster.
if [ -n "$test" ]; then
  debian_packages+=(
    softhsm2                             # a software PKCS#11 token: the token-signing tests sign on it
    postgresql                           # the PostgreSQL catalog's tests start their own throwaway cluster
    chromium                             # the web archive's end-to-end tests drive it with Playwright
  )
fi

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Error: atti needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv

# The Python packages at the versions of requirements/lock.txt (bash scripts/lock.sh makes it):
# pip and setuptools first (the venv's own come from the base Python and differ between them),
# then atti with every dependency and the build backend of the editable install pinned.
# Reinstall only when pyproject.toml or the lock changed since the last install.
lock=requirements/lock.txt
extras=""
[ -n "$test" ] && extras="[test]"
stamp=".venv/.atti-installed$extras"
want=$(cat pyproject.toml "$lock" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q -c "$lock" pip setuptools
  .venv/bin/python -m pip install -q -c "$lock" --build-constraint "$lock" -e ".$extras"
  .venv/bin/python scripts/check_lock.py --lock "$lock" ${test:+--extra test}
  echo "$want" > "$stamp"
fi
