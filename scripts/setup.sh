#!/usr/bin/env bash
# Installs everything atti needs on Debian 12: the Debian packages (only those missing) and the
# project's virtualenv in .venv. Safe to run again: it skips what is already there.
#   bash scripts/setup.sh          runtime only
#   bash scripts/setup.sh --test   runtime plus what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

debian_packages=(
  python3 python3-venv python3-pip       # Debian 12's Python 3.11 and its venv module
  libreoffice-writer-nogui               # DOCX -> PDF/A conversion, headless
  python3-uno                            # drives one LibreOffice kept running, for many acts at once
  fonts-liberation2 fonts-dejavu-core    # fonts the templates use; embedded into the PDF/A
  poppler-utils                          # pdftotext / pdftoppm: text and page checks
  softhsm2                               # a software PKCS#11 token: the token-signing tests sign on it
  postgresql                             # the PostgreSQL catalog's tests start their own throwaway cluster
)
# Only for the tests: the web archive's end-to-end tests drive Debian's chromium with Playwright.
[ "${1:-}" = "--test" ] && debian_packages+=(chromium)

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

# Reinstall only when the project's requirements changed since the last install.
stamp=".venv/.atti-installed$extras"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  echo "$want" > "$stamp"
fi
