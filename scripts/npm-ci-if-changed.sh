# Sourced by scripts/test.sh and scripts/build-runtime.sh: npm_ci_if_changed FOLDER (re)installs FOLDER's npm
# packages with npm ci when its package-lock.json has changed since the last install there.
npm_ci_if_changed() {
  local folder=$1 lock=$1/package-lock.json stamp=$1/node_modules/.installed-package-lock.json
  if ! cmp -s "$lock" "$stamp"; then
    if ! command -v npm >/dev/null; then
      echo "$0: $folder needs Node.js and npm (apt-get install nodejs npm)" >&2
      exit 1
    fi
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$lock" "$stamp"
  fi
}
