#!/usr/bin/env bash
# Re-records what the real SkillMeat writes and prints when it meets SkillMeat Sync's files (SPEC §13, issue 10).
# The recordings land in test/fixtures/peers/skillmeat/ and are what the unit tests compare against, so
# `npm test` never needs SkillMeat. Run it after changing how records, copies or collection files are written:
#
#   python3 -m venv /some/where/venv && /some/where/venv/bin/pip install -e <skillmeat source> httpx
#   (the context-entities scenario also starts SkillMeat's API server from the venv and talks to it with curl)
#   npm run build
#   SKILLMEAT_BIN=/some/where/venv/bin/skillmeat bash scripts/peers/record-skillmeat.sh
#
# ONLY="name …" re-records just those scenarios (the folder names under test/fixtures/peers/skillmeat/).
#
# Each scenario runs in a fresh temporary HOME (SkillMeat 0.9 ignores SKILLMEAT_HOME and always uses
# ~/.skillmeat; SkillMeat Sync is given SKILLMEAT_HOME=$HOME/.skillmeat so both use the same collection).
# Recordings are made stable by `normalise` below: the scenario's temporary folder becomes <TMP>, ISO
# timestamps become <TIME>, snapshot ids <SNAPSHOT>, terminal colours are off (TERM=dumb) and the width is
# fixed (COLUMNS=100). Content hashes are left as they are: they depend on file contents only.
set -euo pipefail

SKILLMEAT_BIN=${SKILLMEAT_BIN:?set SKILLMEAT_BIN to the skillmeat executable of a venv with SkillMeat 0.9 installed}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SYNC_CLI="$REPO/dist/cli.js"
[ -f "$SYNC_CLI" ] || { echo "build first: npm run build (needs $SYNC_CLI)" >&2; exit 2; }
OUT=${OUT:-$REPO/test/fixtures/peers/skillmeat}
PYTHON=$(dirname "$SKILLMEAT_BIN")/python

export TERM=dumb COLUMNS=100 NO_COLOR=1 TZ=UTC PYTHONHASHSEED=0 SKILLMEAT_SYNC_TRUST=1

normalise() { # stdin → stdout
  sed -E \
    -e "s#${TMP_ROOT}#<TMP>#g" \
    -e 's#[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?#<TIME>#g' \
    -e 's#[0-9]{8}-[0-9]{6}-[0-9]{6}#<SNAPSHOT>#g' \
    -e 's#"durationMs": [0-9]+#"durationMs": 0#g'
}

# rec NAME CMD... : runs CMD, records stdout+stderr (normalised) and the exit code in $DIR/NAME.txt
rec() {
  local name=$1; shift
  local rc=0
  "$@" >"$DIR/.out" 2>&1 || rc=$?
  { normalise <"$DIR/.out"; echo "[exit $rc]"; } >"$DIR/$name.txt"
  rm -f "$DIR/.out"
}
keep() { # keep NAME FILE : records a file (normalised)
  normalise <"$2" >"$DIR/$1"
}
listing() { # the files of a folder, sorted, one per line
  (cd "$1" && find . -type f | sed 's#^\./##' | LC_ALL=C sort)
}

want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; } # want NAME: is this scenario to be recorded?

sm() { "$SKILLMEAT_BIN" "$@"; }
ours() { node "$SYNC_CLI" "$@"; }

# A skill with what SkillMeat copies and what it leaves out, a command and an agent.
make_sources() {
  local src=$1
  mkdir -p "$src/review/ref" "$src/review/node_modules/pkg"
  printf -- '---\nname: review\ndescription: Reviews code\n---\n# Review\nline1\nline2\nline3\nline4\n' >"$src/review/SKILL.md"
  printf 'reference\n' >"$src/review/ref/guide.md"
  printf 'scratch\n' >"$src/review/draft.tmp"
  printf 'ignored\n' >"$src/review/node_modules/pkg/index.js"
  printf 'commit\nmore\n' >"$src/commit.md"
  printf -- '---\nname: helper\n---\nYou help.\n' >"$src/helper.md"
}

scenario() { # scenario NAME: a fresh HOME, collection and project
  DIR="$OUT/$1"
  rm -rf "$DIR"; mkdir -p "$DIR"
  TMP_ROOT=$(mktemp -d)
  export HOME="$TMP_ROOT/home" SKILLMEAT_HOME="$TMP_ROOT/home/.skillmeat"
  mkdir -p "$HOME" "$TMP_ROOT/src" "$TMP_ROOT/project" "$TMP_ROOT/other"
  PROJECT="$TMP_ROOT/project"
  COLL="$SKILLMEAT_HOME/collections/default"
  make_sources "$TMP_ROOT/src"
  sm init >/dev/null 2>&1
  sm add skill "$TMP_ROOT/src/review" --dangerously-skip-permissions >/dev/null 2>&1
  sm add command "$TMP_ROOT/src/commit.md" --dangerously-skip-permissions >/dev/null 2>&1
  sm add agent "$TMP_ROOT/src/helper.md" --dangerously-skip-permissions >/dev/null 2>&1
}
done_scenario() { rm -rf "$TMP_ROOT"; }

# 1. SkillMeat deploys; SkillMeat Sync checks: all in sync.
if want skillmeat-deploys; then
scenario skillmeat-deploys
# The collection as SkillMeat's init and add made it: the tests start from these bytes.
mkdir -p "$DIR/collection"
(cd "$COLL" && find skills commands agents -type f) | while read -r f; do mkdir -p "$DIR/collection/$(dirname "$f")"; cp "$COLL/$f" "$DIR/collection/$f"; done
keep collection/collection.toml "$COLL/collection.toml"
keep collection/collection.lock "$COLL/collection.lock"
(cd "$PROJECT" && sm deploy review commit helper --project "$PROJECT" --overwrite >/dev/null 2>&1)
keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml"
listing "$PROJECT/.claude/skills/review" >"$DIR/review.files.txt"
rec ours.check ours check --project "$PROJECT" --json
done_scenario
fi

# 2. SkillMeat Sync deploys; SkillMeat's status, sync-check and list agree; SkillMeat redeploying over it.
if want we-deploy; then
scenario we-deploy
rec ours.deploy ours deploy review --project "$PROJECT"
ours deploy commit --type command --project "$PROJECT" >/dev/null
ours deploy helper --type agent --project "$PROJECT" >/dev/null
keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml"
listing "$PROJECT/.claude/skills/review" >"$DIR/review.files.txt"
rec skillmeat.status sm status --project "$PROJECT"
rec skillmeat.sync-check sm sync-check "$PROJECT" --format json
rec skillmeat.list sm list
rec ours.check ours check --project "$PROJECT" --json
# SkillMeat deploying the same artifacts into another project, for a field-by-field comparison.
(cd "$TMP_ROOT/other" && sm deploy review commit helper --project "$TMP_ROOT/other" --overwrite >/dev/null 2>&1)
keep skillmeat.deployed.toml "$TMP_ROOT/other/.claude/.skillmeat-deployed.toml"
done_scenario
fi

# 3. SkillMeat deploys, the collection changes, SkillMeat Sync updates the project: SkillMeat agrees.
if want we-update; then
scenario we-update
sm deploy review --project "$PROJECT" --overwrite >/dev/null 2>&1
sed -i 's/line2/line2 collection edit/' "$COLL/skills/review/SKILL.md"
printf 'scratch 2\n' >"$COLL/skills/review/draft.tmp"
rec ours.update ours update review --strategy overwrite --project "$PROJECT"
keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml"
listing "$PROJECT/.claude/skills/review" >"$DIR/review.files.txt"
rec skillmeat.status sm status --project "$PROJECT"
rec skillmeat.sync-check sm sync-check "$PROJECT" --format json
rec ours.check ours check --project "$PROJECT" --json
done_scenario
fi

# 4. SkillMeat Sync deploys, the project changes, SkillMeat Sync pulls: SkillMeat agrees, the lock follows.
if want we-pull; then
scenario we-pull
ours deploy review --project "$PROJECT" >/dev/null
sed -i 's/line3/line3 project edit/' "$PROJECT/.claude/skills/review/SKILL.md"
rec ours.pull ours pull review --strategy overwrite --project "$PROJECT"
keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml"
keep collection.lock "$COLL/collection.lock"
rec skillmeat.status sm status --project "$PROJECT"
rec skillmeat.sync-check sm sync-check "$PROJECT" --format json
rec ours.check ours check --project "$PROJECT" --json
done_scenario
fi

# 5. A pull with fork: SkillMeat lists the fork and deploys it.
if want we-fork; then
scenario we-fork
ours deploy review --project "$PROJECT" >/dev/null
sed -i 's/line3/line3 project edit/' "$PROJECT/.claude/skills/review/SKILL.md"
rec ours.pull-fork ours pull review --strategy fork --project "$PROJECT"
keep collection.toml "$COLL/collection.toml"
keep collection.lock "$COLL/collection.lock"
rec skillmeat.list sm list
rec skillmeat.deploy-fork sm deploy review-fork --project "$TMP_ROOT/other" --overwrite
keep skillmeat.deployed.toml "$TMP_ROOT/other/.claude/.skillmeat-deployed.toml"
# SkillMeat's own add of the same folder, for the shape of the table it writes.
"$PYTHON" - "$COLL/collection.toml" >"$DIR/collection.artifacts.txt" <<'PY'
import sys, tomllib
for a in tomllib.loads(open(sys.argv[1]).read())["artifacts"]:
    print(a["name"], a["type"], a["path"], a["origin"])
PY
done_scenario
fi

# 6. SkillMeat's sync-pull --strategy merge on records each tool wrote, with the same edits on both sides.
if want merge-on-ours-record || want merge-on-skillmeat-record; then
for who in ours skillmeat; do
  scenario "merge-on-$who-record"
  if [ "$who" = ours ]; then ours deploy review --project "$PROJECT" >/dev/null
  else sm deploy review --project "$PROJECT" --overwrite >/dev/null 2>&1; fi
  sed -i 's/line1/line1 collection edit/' "$COLL/skills/review/SKILL.md"
  sed -i 's/line4/line4 project edit/' "$PROJECT/.claude/skills/review/SKILL.md"
  keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml"
  rec skillmeat.sync-pull sm sync-pull "$PROJECT" --strategy merge --no-interactive --with-rollback --format json
  keep merged.SKILL.md "$COLL/skills/review/SKILL.md"
  done_scenario
done
fi

# 7. Interleaved writes of both tools into one records file: no record is lost.
if want interleaved; then
scenario interleaved
sm deploy review --project "$PROJECT" --overwrite >/dev/null 2>&1
ours deploy commit --type command --project "$PROJECT" >/dev/null
sm deploy helper --project "$PROJECT" --overwrite >/dev/null 2>&1
sed -i 's/line2/line2 collection edit/' "$COLL/skills/review/SKILL.md"
ours update review --strategy overwrite --project "$PROJECT" >/dev/null
sm deploy commit --project "$PROJECT" --overwrite >/dev/null 2>&1
ours undeploy helper --type agent --project "$PROJECT" >/dev/null
keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml"
rec skillmeat.status sm status --project "$PROJECT"
rec skillmeat.sync-check sm sync-check "$PROJECT" --format json
rec ours.check ours check --project "$PROJECT" --json
done_scenario
fi

# 9. Context entities (spec_file, rule_file, project_config…): SkillMeat keeps them only as rows of the
# `artifacts` table of ~/.skillmeat/cache/cache.db (WAL mode) and deploys them only through its API server
# (POST /api/v1/context-entities/{id}/deploy); its CLI has no command for them. Recorded: the API's answers,
# the table's schema and rows (what SkillMeat Sync reads with sql.js), what the deploy wrote into the project
# (and that it wrote no record), and the row after a collection-side edit (PUT).
if want context-entities; then
scenario context-entities
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$TMP_ROOT" && exec "$PYTHON" -m uvicorn skillmeat.api.server:app --host 127.0.0.1 --port "$PORT" >"$TMP_ROOT/server.log" 2>&1) &
SERVER=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 1; done
API="http://127.0.0.1:$PORT/api/v1/context-entities"
ids() { sed -E 's#ctx_[0-9a-f]{12}#<ID>#g'; }
api() { # api NAME METHOD URL [JSON]: records the answer (ids normalised)
  local name=$1 method=$2 url=$3 body=${4:-}
  if [ -n "$body" ]; then curl -s -X "$method" "$url" -H 'content-type: application/json' -d "$body"; else curl -s -X "$method" "$url"; fi >"$DIR/.api"
  { normalise <"$DIR/.api" | ids; echo; } >"$DIR/$name.json"
  rm -f "$DIR/.api"
}
create() { curl -s -X POST "$API" -H 'content-type: application/json' -d "$1" | "$PYTHON" -c 'import sys, json; print(json.load(sys.stdin)["id"])'; }
SPEC_ID=$(create '{"name":"api-spec","entity_type":"spec_file","content":"---\ntitle: API spec\n---\n# API\nline1\nline2\nline3\n","path_pattern":".claude/specs/api-spec.md"}')
RULE_ID=$(create '{"name":"style","entity_type":"rule_file","content":"<!-- Path Scope: src/**/*.ts -->\n# Style\nrule1\n","path_pattern":".claude/rules/style.md"}')
CONF_ID=$(create '{"name":"claude-md","entity_type":"project_config","content":"# Project\nUse tabs.\n","path_pattern":"CLAUDE.md"}')
api deploy.spec_file POST "$API/$SPEC_ID/deploy" "{\"project_path\":\"$PROJECT\",\"overwrite\":false}"
api deploy.rule_file POST "$API/$RULE_ID/deploy" "{\"project_path\":\"$PROJECT\",\"overwrite\":false}"
api deploy.project_config POST "$API/$CONF_ID/deploy" "{\"project_path\":\"$PROJECT\",\"overwrite\":false}"
listing "$PROJECT" >"$DIR/project.files.txt"
[ -e "$PROJECT/.claude/.skillmeat-deployed.toml" ] && keep deployed.toml "$PROJECT/.claude/.skillmeat-deployed.toml" || echo "no records file" >"$DIR/deployed.toml.absent"
mkdir -p "$DIR/project"
for f in .claude/specs/api-spec.md .claude/rules/style.md CLAUDE.md; do mkdir -p "$DIR/project/$(dirname "$f")"; cp "$PROJECT/$f" "$DIR/project/$f"; done
dump_rows() { # the artifacts table as SkillMeat left it (WAL included: read through SQLite itself)
  "$PYTHON" - "$HOME/.skillmeat/cache/cache.db" <<'PY'
import sys, json, sqlite3
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
c.row_factory = sqlite3.Row
rows = [{k: r[k] for k in ("name", "type", "project_id", "path_pattern", "content_hash", "content", "core_content")}
        for r in c.execute("SELECT * FROM artifacts WHERE type IN ('spec_file','rule_file','context_file','project_config','progress_template') ORDER BY name")]
print(json.dumps({"journal_mode": c.execute("PRAGMA journal_mode").fetchone()[0], "rows": rows}, indent=2))
PY
}
dump_rows >"$DIR/cache.artifacts.json"
"$PYTHON" - "$HOME/.skillmeat/cache/cache.db" >"$DIR/cache.artifacts.schema.sql" <<'PY'
import sys, sqlite3
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(c.execute("SELECT sql FROM sqlite_master WHERE name = 'artifacts'").fetchone()[0] + ";")
PY
# The main cache.db file alone (without its -wal) does not hold the rows yet: a reader must replay the WAL.
"$PYTHON" - "$HOME/.skillmeat/cache" >"$DIR/cache.files.txt" <<'PY'
import sys, os
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    print(f + ("  main file, rows not yet checkpointed" if f == "cache.db" else ""))
PY
# A collection-side edit, the way SkillMeat's UI makes it: the row's content and content_hash change.
api update.spec_file PUT "$API/$SPEC_ID" '{"content":"---\ntitle: API spec\n---\n# API\nline1 collection edit\nline2\nline3\n"}'
dump_rows >"$DIR/cache.artifacts.after-edit.json"
kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
done_scenario
fi

# 10. SkillMeat deploys (its deploy snapshots the collection), then the collection's copy is edited on one line
# and the project's on another: the record's baseline is in no version store of ours, only in SkillMeat's
# snapshot. Recorded as the state to start from: SkillMeat's home (config, the collection, the snapshots folder
# with its tarball and snapshots.toml — only the temporary folder normalised, ids and tarball bytes as they are)
# and the project's .claude with SkillMeat's record. Then what SkillMeat Sync's merge says on it.
if want snapshot-base; then
scenario snapshot-base
(cd "$PROJECT" && sm deploy review --project "$PROJECT" --overwrite >/dev/null 2>&1)
sed -i 's/line1/line1 collection edit/' "$COLL/skills/review/SKILL.md"
sed -i 's/line4/line4 project edit/' "$PROJECT/.claude/skills/review/SKILL.md"
SNAPS="$HOME/.skillmeat/snapshots/default"
mkdir -p "$DIR/skillmeat-home/snapshots/default" "$DIR/skillmeat-home/collections" "$DIR/project"
cp "$HOME/.skillmeat/config.toml" "$DIR/skillmeat-home/config.toml"
cp -R "$COLL" "$DIR/skillmeat-home/collections/default"
cp "$SNAPS"/*.tar.gz "$DIR/skillmeat-home/snapshots/default/"
sed "s#${TMP_ROOT}#<TMP>#g" "$SNAPS/snapshots.toml" >"$DIR/skillmeat-home/snapshots/default/snapshots.toml"
cp -R "$PROJECT/.claude" "$DIR/project/.claude"
rec ours.update-merge.dry-run ours update review --strategy merge --dry-run --project "$PROJECT"
rec ours.update-merge ours update review --strategy merge --project "$PROJECT"
keep merged.SKILL.md "$PROJECT/.claude/skills/review/SKILL.md"
done_scenario
fi

# 8. tomli_w's escaping of awkward strings, byte for byte (what SkillMeat writes for such a record).
if want tomli-w; then
DIR="$OUT/tomli-w"; rm -rf "$DIR"; mkdir -p "$DIR"
"$PYTHON" - "$DIR" <<'PY'
import sys, json, tomli_w
fields = {
    "artifact_name": "we\"ird\\ name\ttab ü \u0001\u001f\u007f\b\f\r\n end",
    "artifact_type": "skill",
    "from_collection": "default",
    "deployed_at": "2026-01-02T03:04:05.000006",
    "artifact_path": "skills/we\"ird",
    "content_hash": "a" * 64,
    "local_modifications": False,
    "version_lineage": ["a" * 64, "b" * 64],
    "collection_sha": "a" * 64,
}
open(sys.argv[1] + "/fields.json", "w").write(json.dumps(fields, indent=2) + "\n")
open(sys.argv[1] + "/record.toml", "w", newline="").write(tomli_w.dumps({"deployed": [fields]}))
PY
fi

echo "recorded into $OUT"
