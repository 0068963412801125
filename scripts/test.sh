#!/usr/bin/env bash
# Install everything the tests need, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh test

# Browser tests (tests/browser): Debian's Chromium, which Playwright drives (it never downloads a browser) ...
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null; then
    sudo="sudo"
  else
    echo "scripts/test.sh: the browser tests need Chromium; as root run: apt-get install chromium" >&2
    exit 1
  fi
  echo "Installing Chromium (Debian package chromium) for the browser tests"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# ... and scorm-again from npm, (re)installed when package-lock.json has changed since the last install.
lock=tests/browser/package-lock.json
stamp=tests/browser/node_modules/.installed-package-lock.json
if ! cmp -s "$lock" "$stamp"; then
  if ! command -v npm >/dev/null; then
    echo "scripts/test.sh: the browser tests need Node.js and npm (apt-get install nodejs npm)" >&2
    exit 1
  fi
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$lock" "$stamp"
fi

# The test LMS/LRS (tests/lrs): the xAPI validator, cmi5 requirement texts and a real LRS from npm, (re)installed
# when tests/lrs/package-lock.json has changed since the last install.
lock=tests/lrs/package-lock.json
stamp=tests/lrs/node_modules/.installed-package-lock.json
if ! cmp -s "$lock" "$stamp"; then
  if ! command -v npm >/dev/null; then
    echo "scripts/test.sh: the LRS tests need Node.js and npm (apt-get install nodejs npm)" >&2
    exit 1
  fi
  (cd tests/lrs && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$lock" "$stamp"
fi

.venv/bin/python -m pytest "$@"
