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
# ... and the npm packages of the browser harness (scorm-again) and of the test LMS/LRS (xAPI validator, cmi5
# requirement texts, a real LRS), each (re)installed when its package-lock.json has changed since the last install.
source scripts/npm-ci-if-changed.sh
npm_ci_if_changed tests/browser
npm_ci_if_changed tests/lrs
# ... and the pinned esbuild, which tests/test_runtime_bundle.py rebuilds the learner runtime with.
npm_ci_if_changed scripts/runtime

# One pytest-xdist worker per core (about 10 minutes in CI instead of about 24 in one process); `-n 0` after the
# script's name runs them in one process. If `build --watch` ever ignores Ctrl+C again under this load (twice in
# earlier CI runs, never since), tests/test_live_rebuild.py reports its stacks (py-spy) and signal masks.
.venv/bin/python -m pytest -n auto "$@"
