#!/usr/bin/env bash
# Bundle the learner runtime: the ES modules in src/coursebuild/runtime/src/ -> src/coursebuild/runtime/coursebuild.js,
# with the esbuild pinned in scripts/runtime/package-lock.json (npm ci there when the lock file has changed).
# Commit the result with the sources: packages copy the bundle, and installing coursebuild needs no Node.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/npm-ci-if-changed.sh
npm_ci_if_changed scripts/runtime
node scripts/runtime/build.mjs "$@"
