#!/usr/bin/env bash
# The staff guide's screenshots (templates/portal/guide/, shown by /staff/guide): the yearly routine's browser
# test run alone with FIR_GUIDE_SCREENSHOTS=1, which saves each step at 375 and 1280 px as a small palette PNG.
# Run it after changing a page the guide shows, look at the images, commit them. About 3 to 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/lib/chromium/locales/fr.pak ]; then
  echo "guide_screenshots: Chromium's French words are missing (Debian package chromium-l10n): run scripts/setup.sh" >&2
  exit 1
fi
rm -f templates/portal/guide/*.png
FIR_GUIDE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_yearly_routine_browser.py -p no:randomly -n 0 -q "$@"
du -ch templates/portal/guide/*.png | tail -1
