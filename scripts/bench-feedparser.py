#!/usr/bin/env python3
"""Parses every XML feed file of DIR (feedparser reads no JSON Feed) with feedparser,
sanitizing as it does by default, ROUNDS times, and prints the same line as the crawler's
`parse_bench` example."""
import os
import sys
import time

import feedparser

folder = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.startswith("feed") and f.rsplit(".", 1)[-1] in ("xml", "atom", "rdf"))
data = [open(f, "rb").read() for f in files]
entries = 0
start = time.perf_counter()
for _ in range(rounds):
    for raw in data:
        entries += len(feedparser.parse(raw).entries)
elapsed = time.perf_counter() - start
parsed = len(data) * rounds
print(f"feedparser {feedparser.__version__}: {parsed} feeds, {entries} entries in {elapsed:.3f} s = {parsed / elapsed:.1f} feeds/s")
