#!/usr/bin/env bash
# Everything the project needs on a fresh Debian machine with Python 3.11, installed by the project
# itself: WeasyPrint's system libraries (Pango, HarfBuzz subsetter), poppler (tests read PDFs back),
# PostgreSQL (the catalogue tests run a real server), then a virtual environment in .venv with the
# pinned Python packages. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# WeasyPrint: Pango, HarfBuzz subsetter. Tests: poppler (PDF text), Chromium (download page, driven by Playwright),
# PostgreSQL (the catalogue tests start a real server of their own with Debian's initdb and pg_ctl),
# LibreOffice Calc without GUI (the workbook tests save figures.xlsx with `soffice --headless`, which computes
# every formula and stores its value, as Excel does: tests/check_helpers.py).
# The print file's CMYK profile: FOGRA39 measurement data (icc-profiles-free, zlib licence) made into an ICC
# output profile by ArgyllCMS's colprof (argyll), below.
# chromium-l10n: Chromium's own words in French (« Choisir un fichier »), as the staff guide's screenshots show them
# (tests/test_yearly_routine_browser.py).
APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils fonts-dejavu-core chromium chromium-l10n
  postgresql libreoffice-calc-nogui argyll icc-profiles-free)

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Python 3.11 is required ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
  APT_PACKAGES+=(python3.11-venv)
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The print file's output profile (flows/paths.py PRINT_PROFILE), built once from FOGRA39L.ti3 (≈ 30 s).
PRINT_PROFILE=${FIR_PRINT_PROFILE:-/usr/local/share/color/icc/fir/FOGRA39L-argyll.icc}
if [ ! -s "$PRINT_PROFILE" ]; then
  echo "setup: building the print profile $PRINT_PROFILE (ArgyllCMS, FOGRA39L data)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$(dirname "$PRINT_PROFILE")")" ] && SUDO="sudo"
  work=$(mktemp -d)
  cp /usr/share/color/icc/FOGRA39L.ti3 "$work/"
  (cd "$work" && colprof -qm -kr -l300 -L95 -D "FOGRA39L (ArgyllCMS, icc-profiles-free)" \
    -C "Built with ArgyllCMS colprof from FOGRA39L.ti3 of icc-profiles-free (zlib licence)" -O profile.icc FOGRA39L >/dev/null)
  $SUDO mkdir -p "$(dirname "$PRINT_PROFILE")"
  $SUDO cp "$work/profile.icc" "$PRINT_PROFILE.tmp" && $SUDO mv "$PRINT_PROFILE.tmp" "$PRINT_PROFILE"
  rm -rf "$work"
fi

stamp=.venv/.installed
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: creating .venv and installing Python packages"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
  touch "$stamp"
fi

# Our own modules compiled to bytecode now, as pip does for an installed package: installed in editable mode,
# they would otherwise be compiled by every command wherever Python may not write bytecode (a read-only
# install, PYTHONDONTWRITEBYTECODE): about 200 modules, 0,3 to 0,4 s before any `fir` command starts its work.
# Only modules changed since are compiled again.
.venv/bin/python -m compileall -q flows >/dev/null
