#!/usr/bin/env bash
# Generator of the structured-notes skill (SYNC.json): renders the notes in state (keys notes:entry:*)
# to $SYNC_OUTPUT_FILE, grouped by type. Runs under ambrogio's contract: cwd = skill dir, SYNC_OUTPUT_FILE,
# SYNC_PATTERNS (comma-joined) and SKILL_DIR in the environment, `ambrogioctl` on PATH, exit 0 = success.
set -euo pipefail

output_file="${SYNC_OUTPUT_FILE:?SYNC_OUTPUT_FILE is not set: run this through "skillmeat-sync sync generate --skill structured-notes"}"
patterns="${SYNC_PATTERNS:-notes:entry:*}"
skill_dir="${SKILL_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"

# Piped, not passed in a variable: thousands of notes exceed what one environment string may hold.
ambrogioctl state list --pattern "$patterns" --json \
  | python3 "$skill_dir/scripts/render_notes.py" "$output_file" "$patterns"

echo "Synced notes to $output_file"
