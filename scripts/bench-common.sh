# Shared by the benchmark scripts: start a release `riffle` on a fresh data directory and sign
# up one user. Source it after setting `bin`, `work` and `port`; it sets `base`, `pid`, `token`.
# Extra environment for the server can be given as arguments: start_riffle VAR=value ...

start_riffle() {
  base="http://127.0.0.1:$port"
  # RIFFLE_BIN chooses the binary; riffle itself would read it as a configuration key.
  env -u RIFFLE_BIN RIFFLE_HTTP__RATE_LIMIT_PER_SECOND=0 RIFFLE_AUTH__CONFIRM_EMAIL=false "$@" \
    "$bin" serve --bind "127.0.0.1:$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
  pid=$!
  until curl -sf "$base/readyz" > /dev/null; do
    kill -0 "$pid" 2> /dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
  done
}

sign_up() {
  curl -sf -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
    -d '{"username":"bench","email":"bench@example.org","password":"correct horse battery"}' > /dev/null
  token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"login":"bench","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}
