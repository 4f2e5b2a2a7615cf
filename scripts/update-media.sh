#!/usr/bin/env bash
# Regenerates the README's and the Getting Started walkthrough's screenshots in media/ from a real VS Code run of
# the integration tests (the drift view on the bundled example, a diff with the deployed baseline, the example
# with an unreachable collection and an invalid record, the welcome view of an empty workspace, the merge editor
# on a conflict, the History and Generators views, the Getting Started walkthrough). Never drawn by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/setup-vscode-runtime.sh | tail -1)"
npm run --silent build
node scripts/run-vscode-tests.js --only default --grep "drift view"
node scripts/run-vscode-tests.js --only default --grep "Getting Started"
node scripts/run-vscode-tests.js --only menus
node scripts/run-vscode-tests.js --only empty
node scripts/run-vscode-tests.js --only sync --grep "merge editor"
node scripts/run-vscode-tests.js --only history
node scripts/run-vscode-tests.js --only generators
for shot in drift-tree drift-diff-baseline deploy-quick-pick drift-tree-offline welcome-empty-workspace merge-editor history-view generators-view walkthrough; do
  cp "artifacts/screenshots/$shot.png" "media/$shot.png"
  echo "media/$shot.png updated"
done
