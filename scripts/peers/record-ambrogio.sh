#!/usr/bin/env bash
# Re-records the real ambrogio into test/fixtures/peers/ambrogio/ (SPEC §13). Not needed by npm test.
#
#   BUN=/path/to/bun AMBROGIO_SRC=/path/to/ambrogio-agent [AMBROGIO_COMMIT=sha] scripts/peers/record-ambrogio.sh
#
# BUN: a Bun binary (npm package @oven/bun-linux-x64: node_modules/@oven/bun-linux-x64/bin/bun).
# AMBROGIO_SRC: a checkout or export of github.com/danitrap/ambrogio-agent (no install step: ambrogio's
#   StateStore and ambrogioctl only use Bun's built-ins). AMBROGIO_COMMIT is written into the recordings
#   (default: git rev-parse HEAD in AMBROGIO_SRC).
# Needs node, bash, python3 (structured-notes' generator) and jq-free shells only. See record-ambrogio.mjs for
# what is normalised.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${BUN:?set BUN to a Bun binary (npm i --prefix DIR @oven/bun-linux-x64)}"
: "${AMBROGIO_SRC:?set AMBROGIO_SRC to a checkout of github.com/danitrap/ambrogio-agent}"
[ -x "$BUN" ] || { echo "BUN=$BUN is not executable" >&2; exit 2; }
[ -f "$AMBROGIO_SRC/src/cli/ambrogioctl.ts" ] || { echo "AMBROGIO_SRC=$AMBROGIO_SRC has no src/cli/ambrogioctl.ts" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed by ambrogio's structured-notes generator" >&2; exit 2; }
BUN="$(cd "$(dirname "$BUN")" && pwd)/$(basename "$BUN")" AMBROGIO_SRC="$(cd "$AMBROGIO_SRC" && pwd)" exec node "$here/record-ambrogio.mjs"
