#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs a drift check on the bundled
# example (examples/home is its SkillMeat home; your real ~/.skillmeat is never touched).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -a examples/. "$work/"
echo "\$ SKILLMEAT_HOME=examples/home skillmeat-sync check --project examples/project"
set +e
SKILLMEAT_HOME="$work/home" node dist/cli.js check --project "$work/project"
code=$?
set -e
echo
echo "(exit code $code: 0 = nothing diverged, 1 = drift found, 2 = error)"
[ "$code" -le 1 ]
