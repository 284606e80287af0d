#!/usr/bin/env bash
# Feed parsing, Riffle's crawler against Python's feedparser on the same files, in one run
# (issue #13: at least 20× feedparser):
#
#   scripts/bench-parse.sh [FEEDS] [ENTRIES] [ROUNDS]
set -euo pipefail
feeds=${1:-200}
entries=${2:-50}
rounds=${3:-3}
work=$(mktemp -d /var/tmp/riffle-parse.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 -m pip install -q feedparser==6.0.12 >&2
python3 "$(dirname "$0")/bench-feeds.py" "$work" "$feeds" "$entries"
echo "$feeds feed files of $entries entries; compared on the XML ones (RSS 2.0, Atom, RSS 1.0), which both parse"
cargo run -q --release -p crawler --example parse_bench -- "$work" "$rounds"
python3 "$(dirname "$0")/bench-feedparser.py" "$work" "$rounds"
