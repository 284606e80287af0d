#!/usr/bin/env python3
"""Writes a deterministic set of feed files for the crawler's benchmarks.

  scripts/bench-feeds.py DIR [FEEDS] [ENTRIES]

FEEDS files (default 200) in turn RSS 2.0, Atom 1.0, RSS 1.0 (RDF) and JSON Feed 1.1, each with
ENTRIES entries (default 50) of HTML content in English and Chinese, with links, images, a script
and a tracking pixel for the sanitizer to remove. Also writes DIR/feeds.opml listing them as
http://127.0.0.1:PORT/<name> with PORT from $BENCH_PORT (default 18990).
"""
import json
import os
import random
import sys
from xml.sax.saxutils import escape

out = sys.argv[1]
feeds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
entries = int(sys.argv[3]) if len(sys.argv) > 3 else 50
port = int(os.environ.get("BENCH_PORT", "18990"))
rng = random.Random(20261202)
words = "feed stream crawler rust tantivy sorted set fanout timeline follow waterfall ranking".split()
hanzi = "订阅源内容抓取排序时间线关注推荐搜索通知网站新闻博客技术开源社区"


def body(i, j):
    english = " ".join(rng.choice(words) for _ in range(60))
    chinese = "".join(rng.choice(hanzi) for _ in range(80))
    return (
        f"<p>{english} <a href='/posts/{i}/{j}'>more</a></p><p>{chinese}</p>"
        f"<img src='/img/{j}.png' width='640'><script>track({j})</script>"
        f"<img src='https://pixel.example/{i}/{j}.gif' width='1' height='1'>"
        "<ul><li>one</li><li>two</li></ul>"
    )


def rss(i):
    items = "".join(
        f"<item><title>Entry {j} of feed {i}</title><link>https://site{i}.example/posts/{j}</link>"
        f"<guid>feed{i}-entry{j}</guid><pubDate>Wed, 02 Dec 2026 {j % 24:02d}:00:00 GMT</pubDate>"
        f"<category>topic{j % 7}</category><description>{escape(body(i, j))}</description></item>"
        for j in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {i}</title><link>https://site{i}.example/</link><description>Bench feed {i}</description>"
        f"{items}</channel></rss>"
    )


def atom(i):
    items = "".join(
        f"<entry><title>Entry {j} of feed {i}</title><id>urn:feed{i}:entry{j}</id>"
        f"<link href='https://site{i}.example/posts/{j}'/><updated>2026-12-02T{j % 24:02d}:00:00Z</updated>"
        f"<content type='html'>{escape(body(i, j))}</content></entry>"
        for j in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Feed {i}</title><id>urn:feed{i}</id><updated>2026-12-02T00:00:00Z</updated>"
        f"<link href='https://site{i}.example/'/>{items}</feed>"
    )


def rdf(i):
    items = "".join(
        f"<item rdf:about='https://site{i}.example/posts/{j}'><title>Entry {j} of feed {i}</title>"
        f"<link>https://site{i}.example/posts/{j}</link><description>{escape(body(i, j))}</description></item>"
        for j in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f"xmlns='http://purl.org/rss/1.0/'><channel rdf:about='https://site{i}.example/'><title>Feed {i}</title>"
        f"<link>https://site{i}.example/</link><description>Bench feed {i}</description></channel>{items}</rdf:RDF>"
    )


def json_feed(i):
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": f"Feed {i}",
            "home_page_url": f"https://site{i}.example/",
            "items": [
                {
                    "id": f"feed{i}-entry{j}",
                    "url": f"https://site{i}.example/posts/{j}",
                    "title": f"Entry {j} of feed {i}",
                    "content_html": body(i, j),
                    "date_published": f"2026-12-02T{j % 24:02d}:00:00Z",
                }
                for j in range(entries)
            ],
        },
        ensure_ascii=False,
    )


os.makedirs(out, exist_ok=True)
makers = [("xml", rss), ("atom", atom), ("rdf", rdf), ("json", json_feed)]
outlines = []
for i in range(feeds):
    ext, make = makers[i % len(makers)]
    name = f"feed{i:04d}.{ext}"
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(make(i))
    outlines.append(f'<outline text="Feed {i}" type="rss" xmlUrl="http://127.0.0.1:{port}/{name}"/>')
with open(os.path.join(out, "feeds.opml"), "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head><body>')
    f.write("".join(outlines))
    f.write("</body></opml>")
