#!/usr/bin/env bash
# Runs schemathesis over the whole OpenAPI spec of a fresh `riffle serve`, with all its checks:
# first every operation but those that end the caller's session, signed in as one user; then
# those (sign-out, password change, account deletion, session revocation) as another.
#
#     scripts/schemathesis/run.sh target/debug/riffle [max-examples]
set -euo pipefail
binary=$1
examples=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
port=18977
base="http://127.0.0.1:$port"
RIFFLE_HTTP__RATE_LIMIT_PER_SECOND=0 RIFFLE_AUTH__CONFIRM_EMAIL=false RIFFLE_LOG__LEVEL=warn \
  "$binary" serve --bind "127.0.0.1:$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work" || true' EXIT
until curl -sf "$base/readyz" > /dev/null; do sleep 0.1; done

token_for() {
  curl -sf -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"email\":\"$1@example.org\",\"password\":\"correct horse battery\"}" > /dev/null
  curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"correct horse battery\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

ending='^/api/v1/(auth/logout|me|me/password|auth/sessions/\{id\})$'
run() {
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" st --config-file "$here/schemathesis.toml" run "$base/openapi.json" \
    --max-examples "$examples" --seed 20261202 --workers 2 --no-color \
    --generation-database none --header "Authorization: Bearer $1" "${@:2}"
}
status=0
run "$(token_for fuzzer)" --exclude-path-regex "$ending" || status=1
run "$(token_for leaver)" --include-path-regex "$ending" || status=1
if [ "$status" != 0 ]; then
  echo "schemathesis found failures; the server's log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit $status
