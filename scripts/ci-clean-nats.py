#!/usr/bin/env python3
"""Deletes the JetStream streams earlier test runs left behind (named `T` + 32 hex digits).

Run by .ci/run before the tests, when no test is running: each test makes its own stream so
tests never see each other's events, and a test that fails does not clean up after itself.
"""
import asyncio
import re
import sys

import nats

TEST_STREAM = re.compile(r"^T[0-9a-f]{32}$")


async def main(url: str) -> None:
    connection = await nats.connect(url)
    jetstream = connection.jetstream()
    deleted = 0
    for info in await jetstream.streams_info():
        if TEST_STREAM.match(info.config.name):
            await jetstream.delete_stream(info.config.name)
            deleted += 1
    await connection.close()
    print(f"deleted {deleted} test streams")


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "nats://127.0.0.1:4222"))
