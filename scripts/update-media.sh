#!/usr/bin/env bash
# Regenerates the README's screenshots in media/ from a real VS Code run of the integration tests
# (the drift view on the bundled example, a diff with the deployed baseline, and the example with an unreachable
# collection and an invalid record). Never drawn by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/setup-vscode-runtime.sh | tail -1)"
npm run --silent build
node scripts/run-vscode-tests.js --only default --grep "drift view"
node scripts/run-vscode-tests.js --only menus
for shot in drift-tree drift-diff-baseline deploy-quick-pick drift-tree-offline; do
  cp "artifacts/screenshots/$shot.png" "media/$shot.png"
  echo "media/$shot.png updated"
done
