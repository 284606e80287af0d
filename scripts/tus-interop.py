#!/usr/bin/env python3
"""Interoperability check: a stock tus client (tuspy) uploads a file resumably to Riffle.

Starts `riffle serve` (the binary given as the first argument) on a fresh data directory, signs
up, sends part of a 20 MB video, lets a second client resume from the server's offset, and checks
that the media downloaded afterwards is byte for byte the file. Exits non-zero on any mismatch.

    pip install tuspy requests && python3 scripts/tus-interop.py target/debug/riffle
"""
import os
import subprocess
import sys
import tempfile
import time

import requests
from tusclient import client

binary = sys.argv[1]
base = "http://127.0.0.1:18990"
with tempfile.TemporaryDirectory() as work:
    env = dict(os.environ, RIFFLE_HTTP__RATE_LIMIT_PER_SECOND="0", RIFFLE_LOG__LEVEL="warn", RIFFLE_AUTH__CONFIRM_EMAIL="false")
    env = {k: v for k, v in env.items() if not k.startswith("RIFFLE_TEST_")}
    server = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:18990", "--data-dir", f"{work}/data"], env=env)
    try:
        for _ in range(200):
            try:
                if requests.get(f"{base}/readyz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        video = f"{work}/clip.mp4"
        with open(video, "wb") as f:
            f.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(20_000_000))
        account = {"username": "tus_user", "email": "tus@example.org", "password": "correct horse battery"}
        requests.post(f"{base}/api/v1/auth/register", json=account).raise_for_status()
        login = requests.post(f"{base}/api/v1/auth/login", json={"login": "tus_user", "password": account["password"]})
        auth = {"Authorization": "Bearer " + login.json()["access_token"]}

        tus = client.TusClient(f"{base}/api/v1/media/uploads", headers=auth)
        first = tus.uploader(video, chunk_size=3 << 20, metadata={"filename": "clip.mp4", "filetype": "video/mp4"})
        first.upload(stop_at=7 << 20)  # as if the connection dropped here
        second = tus.uploader(video, url=first.url, chunk_size=3 << 20)
        assert second.get_offset() == first.offset, "the server reports where to resume"
        second.upload()

        head = requests.head(first.url, headers={**auth, "Tus-Resumable": "1.0.0"})
        described = f"{base}/api/v1/media/{head.headers['riffle-media-id']}"
        assert requests.get(described).status_code == 404, "an upload not attached yet is its owner's alone"
        media = requests.get(described, headers=auth).json()
        assert (media["kind"], media["mime"]) == ("video", "video/mp4"), media
        body = requests.get(base + media["url"], headers=auth).content
        assert body == open(video, "rb").read(), "downloaded bytes differ from the upload"
        print("tus interoperability check: a stock client uploaded, resumed and got its bytes back")
    finally:
        server.terminate()
        server.wait(timeout=30)
