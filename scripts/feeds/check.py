#!/usr/bin/env python3
"""Feeds out, read by stock tools: feedparser parses Riffle's Atom, RSS and JSON Feed without
complaint (`bozo` false) and finds the fields we put in; JSON Feed validates against the 1.1
schema beside this script.

Starts `riffle serve` (the binary given as the first argument) on a fresh data directory, signs
up, writes posts (one with markup to escape, one with a photo, one followers-only that must not
appear), and reads every feed (public stream, user, tag) in every format, page by page.

    pip install feedparser 'jsonschema[format-nongpl]' requests && python3 scripts/feeds/check.py target/debug/riffle
"""
import base64
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import feedparser
import jsonschema
import requests

binary = sys.argv[1]
port = 18991
base = f"http://127.0.0.1:{port}"
schema = json.loads((pathlib.Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text())
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def wait_for(what, check, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ready():
    try:
        return requests.get(f"{base}/readyz", timeout=1).ok
    except requests.ConnectionError:
        return False


def read_all(path, fmt):
    """Every entry of a feed, following its next links; checks each page as it goes."""
    url, entries, pages = f"{base}{path}.{fmt}?limit=2", [], 0
    while url:
        response = requests.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text)
        assert response.headers["cache-control"] == "public, max-age=60", response.headers
        again = requests.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304, f"{url}: the reader's copy is current"
        url = check_page(response, fmt, entries)
        pages += 1
        assert pages < 20, "paging ends"
    return entries


def check_page(response, fmt, entries):
    """Checks one page, adds its entries, returns the next page's URL."""
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/feed+json"), response.headers
        document = response.json()
        jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
        entries.extend(
            {"id": i["id"], "text": i["content_text"], "html": i["content_html"], "author": i["authors"][0]["name"],
             "tags": i.get("tags", []), "media": [a["mime_type"] for a in i.get("attachments", [])]}
            for i in document["items"])
        return document.get("next_url")
    parsed = feedparser.parse(response.content, response_headers={"content-type": response.headers["content-type"]})
    assert not parsed.bozo, f"{fmt}: {parsed.bozo_exception}"
    assert parsed.version == ("atom10" if fmt == "atom" else "rss20"), parsed.version
    assert parsed.feed.title, parsed.feed
    for entry in parsed.entries:
        html = entry.content[0].value if fmt == "atom" else entry.description
        media = [link.type for link in entry.links if link.rel == "enclosure"]
        entries.append({"id": entry.id, "text": None, "html": html, "author": entry.author,
                        "tags": [t.term for t in entry.get("tags", [])], "media": media})
    nexts = [link.href for link in parsed.feed.get("links", []) if link.rel == "next"]
    return nexts[0] if nexts else None


with tempfile.TemporaryDirectory() as work:
    env = dict(os.environ, RIFFLE_HTTP__RATE_LIMIT_PER_SECOND="0", RIFFLE_LOG__LEVEL="warn",
               RIFFLE_AUTH__CONFIRM_EMAIL="false", RIFFLE_PUBLIC_URL=base)
    env = {k: v for k, v in env.items() if not k.startswith("RIFFLE_TEST_")}
    server = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", f"{work}/data"], env=env)
    try:
        wait_for("the server", ready)
        account = {"username": "feeder", "email": "feeder@example.org", "password": "correct horse battery"}
        requests.post(f"{base}/api/v1/auth/register", json=account).raise_for_status()
        login = requests.post(f"{base}/api/v1/auth/login", json={"login": "feeder", "password": account["password"]})
        auth = {"Authorization": "Bearer " + login.json()["access_token"]}
        requests.patch(f"{base}/api/v1/me", json={"display_name": "Feed Tester"}, headers=auth).raise_for_status()
        photo = requests.post(f"{base}/api/v1/media", headers=auth, files={"file": ("dot.png", PNG, "image/png")})
        photo.raise_for_status()

        def post(text, visibility="public", media=()):
            body = {"text": text, "visibility": visibility, "media_ids": list(media)}
            requests.post(f"{base}/api/v1/posts", json=body, headers=auth).raise_for_status()

        post("First #feeds post")
        post("Markup <b>stays</b> text & <script>alert(1)</script> #feeds")
        post("A photo #feeds", media=[photo.json()["id"]])
        post("Only for followers #feeds", visibility="followers")
        post("中文也行 #feeds")
        wait_for("the posts in the public stream",
                 lambda: len(requests.get(f"{base}/api/v1/timelines/public").json()["items"]) == 4)

        for path in ["/feeds/public", "/feeds/users/feeder", "/feeds/tags/feeds"]:
            for fmt in ["atom", "rss", "json"]:
                entries = read_all(path, fmt)
                where = f"{path}.{fmt}"
                assert len(entries) == 4, f"{where}: public posts only, every page: {entries}"
                assert len({e["id"] for e in entries}) == 4, f"{where}: no entry twice"
                html = " ".join(e["html"] for e in entries)
                assert "Only for followers" not in html, where
                assert "<script>" not in html and "<b>" not in html, f"{where}: markup escaped: {html}"
                assert "&lt;b&gt;stays&lt;/b&gt;" in html, f"{where}: {html}"
                assert "中文也行" in html, where
                assert all(e["author"] == "Feed Tester (@feeder)" for e in entries), entries
                assert all("feeds" in e["tags"] for e in entries), entries
                assert [e["media"] for e in entries].count(["image/png"]) == 1, f"{where}: one enclosure: {entries}"
                if fmt == "json":
                    assert "Markup <b>stays</b> text & <script>alert(1)</script> #feeds" in [e["text"] for e in entries]
        print("feeds check: Atom, RSS and JSON Feed parse cleanly, page, validate and carry the posts")
    finally:
        server.terminate()
        server.wait(timeout=30)
