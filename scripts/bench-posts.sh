#!/usr/bin/env bash
# Create-post throughput and latency (issue #5) with wrk, on SQLite (default) or on PostgreSQL
# when DATABASE_URL is given:
#
#   cargo build --release -p riffle && scripts/bench-posts.sh [DURATION_S] [CONNECTIONS]
#   DATABASE_URL=postgres://postgres@127.0.0.1/riffle_bench scripts/bench-posts.sh
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
duration=${1:-20}
connections=${2:-16}
bin=${RIFFLE_BIN:-target/release/riffle}
work=$(mktemp -d /var/tmp/riffle-posts.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18778

start_riffle RIFFLE_LOG__LEVEL=warn RIFFLE_DATABASE__URL="${DATABASE_URL:-}"
sign_up

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"text": "Benchmarking #riffle with a post that mentions @bench and links https://example.org"}'
LUA
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/post.lua" "$base/api/v1/posts"
grep -c '"status":"5' "$work/server.log" && echo "server errors above" || true
