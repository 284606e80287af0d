#!/usr/bin/env bash
# Crawler ingest end to end (issue #13: 1,000 feeds × 50 entries fetched, parsed, deduplicated
# and posted in under 30 s): a local web server serves the feeds, a release `riffle serve` on
# the embedded defaults starts with them as its seed list, and the clock runs until content
# holds every post. Prints the time and the server's peak RSS.
#
#   cargo build --release -p riffle && scripts/bench-crawl.sh [FEEDS] [ENTRIES]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
feeds=${1:-1000}
entries=${2:-50}
bin=${RIFFLE_BIN:-target/release/riffle}
work=$(mktemp -d /var/tmp/riffle-crawl.XXXXXX)
port=18779
web_port=18990
trap 'kill "$pid" "$web" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/web"
BENCH_PORT=$web_port python3 "$(dirname "$0")/bench-feeds.py" "$work/web" "$feeds" "$entries"
python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$work/web" > /dev/null 2>&1 &
web=$!
until curl -sf "http://127.0.0.1:$web_port/feeds.opml" > /dev/null; do sleep 0.1; done
expected=$((feeds * entries))
start=$(date +%s.%N)
start_riffle RIFFLE_LOG__LEVEL=warn RIFFLE_CRAWLER__SEED_OPML="$work/web/feeds.opml" \
  RIFFLE_CRAWLER__ALLOW_HOSTS="[\"127.0.0.1:$web_port\"]" RIFFLE_CRAWLER__BACKFILL_ENTRIES="$entries" \
  RIFFLE_CRAWLER__PER_HOST_CONCURRENCY=16 RIFFLE_CRAWLER__PER_HOST_DELAY_MS=0
count_posts() {
  python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM posts").fetchone()[0])' "$work/data/content.db" 2>/dev/null || echo 0
}
while [ "$(count_posts)" -lt "$expected" ]; do
  sleep 0.2
  if ! kill -0 "$pid" 2>/dev/null; then echo "riffle exited"; cat "$work/server.log"; exit 1; fi
done
end=$(date +%s.%N)
rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
echo "$feeds feeds × $entries entries: $expected posts in $(python3 -c "print(round($end - $start, 2))") s (from process start), peak RSS $rss"
