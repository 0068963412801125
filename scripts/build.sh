#!/usr/bin/env bash
# Install coursebuild and build every course under courses/ into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
.venv/bin/coursebuild build "$@"
