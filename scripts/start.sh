#!/usr/bin/env bash
# `npm start`: opens SkillMeat Sync in a real VS Code (the same VS Code 1.139 server the integration tests use),
# on a temporary copy of the bundled example: examples/project/ as the workspace and examples/home/ as
# SKILLMEAT_HOME, so nothing on this machine outside the copy is read or written. Prints a URL to open in a
# browser on this machine and serves until Ctrl-C, then deletes the copy.
#   PORT=8931 (default) picks the port; a busy port falls back to a free one (the URL printed says which).
set -euo pipefail
cd "$(dirname "$0")/.."

# Same freshness rule as scripts/test.sh: npm rewrites node_modules/.package-lock.json on every install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
eval "$(bash scripts/setup-vscode-runtime.sh | tail -1)"
npm run --silent build

copy=$(mktemp -d "${TMPDIR:-/tmp}/skillmeat-start-XXXXXX")
trap 'rm -rf "$copy"' EXIT
if [ -d examples/home ] && [ -d examples/project ]; then
  cp -R examples/home "$copy/home"
  cp -R examples/project "$copy/project"
else
  # The bundled example is not there (a partial checkout): fall back to the integration fixture.
  mkdir "$copy/home"
  cp -R test/fixtures/integration-ws "$copy/project"
fi
echo "SkillMeat Sync example: workspace $copy/project, SKILLMEAT_HOME $copy/home"

SKILLMEAT_HOME="$copy/home" node scripts/launch-vscode.js --serve --port="${PORT:-8931}" \
  --extensionDevelopmentPath="$PWD" "$copy/project"
