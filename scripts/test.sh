#!/usr/bin/env bash
# What `npm test` runs, on a developer machine or in CI (CI=true, no stdin): installs what is missing,
# then build, lint, type-check, unit tests, integration tests in a real VS Code, and one last line
# `N passed, N failed` summing unit + integration (scripts/test-summary.mjs).
# Every step runs even after an earlier one failed, so one run shows every problem; any failure (or no
# test at all) makes the exit code non-zero. Per-step timings are printed; see docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.."

failed_steps=()
# step NAME COMMAND...: runs COMMAND, prints how long it took, remembers NAME if it failed.
step() {
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=== $name"
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
    failed_steps+=("$name")
    return 1
  fi
}

# npm writes node_modules/.package-lock.json on every install: older than package-lock.json means stale.
install_deps() {
  if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "node_modules is up to date with package-lock.json"
  else
    npm ci --no-audit --no-fund
  fi
}

# The runtime (VS Code server, Node 24, Chromium) is idempotent to set up; its last line exports where it is.
setup_runtime() {
  local out
  out=$(bash scripts/setup-vscode-runtime.sh) || return 1
  eval "$(printf '%s\n' "$out" | tail -1)"
  echo "VSCODE_SERVER_ROOT=$VSCODE_SERVER_ROOT"
}

# Stale results from an earlier run must not be summed if a stage dies before writing its own.
rm -f artifacts/test-results/unit.json artifacts/test-results/integration.json

# Without node_modules nothing else can run; the summary then counts both test stages as failed.
if step "install dependencies" install_deps; then
  step "set up the VS Code runtime" setup_runtime
  build_ok=1
  step "build" npm run --silent build || build_ok=0
  step "lint" npx eslint src test scripts
  step "type-check" npx tsc -p . --noEmit
  step "unit tests" node scripts/run-unit.mjs
  if [ -n "${VSCODE_SERVER_ROOT:-}" ] && [ $build_ok = 1 ]; then
    step "integration tests" node scripts/run-vscode-tests.js
  else
    echo "=== integration tests: skipped (no runtime or no build); counted as failed"
  fi
fi

echo
summary_args=()
for s in ${failed_steps[@]+"${failed_steps[@]}"}; do
  case $s in "unit tests" | "integration tests") ;; *) summary_args+=(--failed-step "$s") ;; esac
done
exec node scripts/test-summary.mjs ${summary_args[@]+"${summary_args[@]}"}
