#!/usr/bin/env python3
"""Every service in its own process, for real: each target of `riffle targets` runs as its own
`riffle serve --target X` on PostgreSQL, NATS JetStream, Redis and the S3 store, behind nginx
routing by path with the deployment's own configuration (deploy/nginx/riffle.conf). The whole
user story goes through nginx; then one service process is killed with SIGKILL mid-run and
restarted, and nothing acknowledged may be lost while the other services keep answering.
Every process exports its spans over OTLP to a small receiver here, and one post's trace must
cross at least three services.

    python3 scripts/multiprocess/run.py target/debug/riffle

It reads the backends from the variables the Rust test suites use (RIFFLE_TEST_POSTGRES_URL,
RIFFLE_TEST_NATS_URL, RIFFLE_TEST_REDIS_URL, RIFFLE_TEST_S3_URL, RIFFLE_TEST_S3_KEY_ID,
RIFFLE_TEST_S3_SECRET), needs nginx on the PATH and the opentelemetry-proto package (PyPI).
"""

import base64
import http.server
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

ROOT = pathlib.Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(what, probe, seconds=20.0):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except requests.RequestException as error:
            last = error
        time.sleep(0.1)
    raise SystemExit(f"timed out: {what} ({last})")


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL {what}")
    print(f"ok   {what}")


def env(name):
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"set {name} (see README, Testing)")
    return value


class TraceReceiver:
    """An OTLP/HTTP collector in miniature: keeps each span's process and parent, by trace id."""

    def __init__(self):
        self.spans = {}  # trace id (hex) -> [(service.name, span name, span id, parent span id)]
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                with receiver.lock:
                    for resource in request.resource_spans:
                        attributes = {a.key: a.value.string_value for a in resource.resource.attributes}
                        for scope in resource.scope_spans:
                            for span in scope.spans:
                                receiver.spans.setdefault(span.trace_id.hex(), []).append(
                                    (attributes.get("service.name"), span.name, span.span_id.hex(), span.parent_span_id.hex())
                                )
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.port = free_port()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def trace(self, trace_id):
        with self.lock:
            return list(self.spans.get(trace_id, []))


class Deployment:
    """The processes: one per target, and nginx in front."""

    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        targets = subprocess.run([binary, "targets"], capture_output=True, text=True, check=True).stdout
        # `riffle targets` lists services under "Services", indented, name first, until "Groups".
        services = targets.split("Groups:")[0].splitlines()[1:]
        self.targets = [line.split()[0] for line in services if line.startswith("  ")]
        self.ports = {t: free_port() for t in self.targets}
        self.gateway_port = free_port()
        self.gateway = f"http://127.0.0.1:{self.gateway_port}"
        self.processes = {}
        self.traces = TraceReceiver()
        database = self.fresh_database(env("RIFFLE_TEST_POSTGRES_URL"))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RIFFLE_")},
            "RIFFLE_DATABASE__URL": database,
            "RIFFLE_EVENTS__URL": env("RIFFLE_TEST_NATS_URL"),
            "RIFFLE_EVENTS__STREAM": f"T{uuid.uuid4().hex}",  # scripts/ci-clean-nats.py removes these
            "RIFFLE_TIMELINES__URL": env("RIFFLE_TEST_REDIS_URL"),
            "RIFFLE_TIMELINES__KEY_PREFIX": f"mp:{uuid.uuid4().hex[:12]}:",
            "RIFFLE_MEDIA__URL": env("RIFFLE_TEST_S3_URL"),
            "RIFFLE_MEDIA__S3_ACCESS_KEY_ID": env("RIFFLE_TEST_S3_KEY_ID"),
            "RIFFLE_MEDIA__S3_SECRET_ACCESS_KEY": env("RIFFLE_TEST_S3_SECRET"),
            "RIFFLE_AUTH__INTERNAL_TOKEN": uuid.uuid4().hex,
            "RIFFLE_AUTH__JWKS_URL": f"http://127.0.0.1:{self.ports['identity']}/.well-known/jwks.json",
            "RIFFLE_AUTH__CONFIRM_EMAIL": "false",
            "RIFFLE_PUBLIC_URL": self.gateway,
            "RIFFLE_HTTP__RATE_LIMIT_PER_SECOND": "0",
            "RIFFLE_HTTP__TRUSTED_PROXIES": '["127.0.0.1/32"]',
            "RIFFLE_CRAWLER__ALLOW_PRIVATE_NETWORKS": "true",
            "RIFFLE_SEARCH__CONTENT_URL": f"http://127.0.0.1:{self.ports['content']}",
            "RIFFLE_WEB__API_URL": self.gateway,
            "RIFFLE_LOG__LEVEL": "warn",
            "RIFFLE_WORKERS": "1",
            "RIFFLE_TELEMETRY__OTLP_ENDPOINT": f"http://127.0.0.1:{self.traces.port}",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }

    @staticmethod
    def fresh_database(url):
        name = f"riffle_test_mp_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", url, "-qc", f"CREATE DATABASE {name}"], check=True)
        return url.rsplit("/", 1)[0] + "/" + name

    def migrate(self):
        subprocess.run([self.binary, "migrate", "--target", "all"], env=self.env, check=True)

    def start(self, target):
        data = self.work / target
        data.mkdir(exist_ok=True)
        log = open(self.work / f"{target}.log", "ab")
        self.processes[target] = subprocess.Popen(
            [self.binary, "serve", "--target", target, "--bind", f"127.0.0.1:{self.ports[target]}", "--data-dir", str(data)],
            env=self.env,
            stdout=log,
            stderr=log,
        )

    def ready(self, target):
        return requests.get(f"http://127.0.0.1:{self.ports[target]}/readyz", timeout=2).status_code == 200

    def kill(self, target):
        self.processes[target].send_signal(signal.SIGKILL)
        self.processes[target].wait()

    def start_gateway(self):
        """nginx with the deployment's routing; only the listening port and the upstreams differ."""
        conf = self.work / "nginx"
        (conf / "riffle").mkdir(parents=True)
        routing = (ROOT / "deploy/nginx/riffle.conf").read_text()
        routing = routing.replace("listen 8080 default_server;", f"listen 127.0.0.1:{self.gateway_port} default_server;")
        routing = routing.replace("listen 8081;", f"listen 127.0.0.1:{free_port()};")
        (conf / "riffle.conf").write_text(routing)
        upstreams = "".join(
            f"upstream {t} {{ server 127.0.0.1:{port}; keepalive 8; }}\n" for t, port in self.ports.items()
        )
        (conf / "riffle" / "upstreams.conf").write_text(upstreams)
        (conf / "nginx.conf").write_text(
            f"""daemon off;
worker_processes 1;
pid {conf}/nginx.pid;
error_log {conf}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {conf}/body;
    proxy_temp_path {conf}/proxy;
    fastcgi_temp_path {conf}/fastcgi;
    uwsgi_temp_path {conf}/uwsgi;
    scgi_temp_path {conf}/scgi;
    include {conf}/riffle.conf;
}}
"""
        )
        self.nginx = subprocess.Popen(["nginx", "-p", str(conf), "-c", str(conf / "nginx.conf")])
        until("nginx answers", lambda: requests.get(f"{self.gateway}/healthz", timeout=2).ok)

    def stop(self):
        for process in list(self.processes.values()) + [getattr(self, "nginx", None)]:
            if process and process.poll() is None:
                process.terminate()
        for process in list(self.processes.values()) + [getattr(self, "nginx", None)]:
            if process:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def fixture_feed():
    """A site with an Atom feed, on loopback, for the subscription."""
    port = free_port()
    feed = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Fixture Blog</title><id>http://127.0.0.1:{port}/</id>
<updated>2026-12-01T10:00:00Z</updated><link href="http://127.0.0.1:{port}/"/>
<entry><title>First light</title><id>http://127.0.0.1:{port}/first</id><link href="http://127.0.0.1:{port}/first"/>
<updated>2026-12-01T10:00:00Z</updated><summary>The first entry of the fixture blog.</summary></entry></feed>"""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/feed.xml":
                body = feed.encode()
                self.send_response(200)
                self.send_header("content-type", "application/atom+xml")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/feed.xml"


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is not on the PATH")
    started = time.monotonic()
    work = pathlib.Path(tempfile.mkdtemp(prefix="riffle-mp-"))
    deployment = Deployment(binary, work)
    try:
        run(deployment)
    except BaseException:
        for log in sorted(work.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name}\n" + "\n".join(tail))
        raise
    finally:
        deployment.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"multi-process run took {time.monotonic() - started:.1f} s")


def run(d):
    api = d.gateway
    d.migrate()
    d.start("identity")
    until("identity is ready", lambda: d.ready("identity"), 30)
    for target in d.targets:
        if target != "identity":
            d.start(target)
    for target in d.targets:
        until(f"{target} is ready", lambda t=target: d.ready(t), 60)
    check(len(d.processes) == len(d.targets) >= 8, f"{len(d.targets)} services, each in its own process: {', '.join(d.targets)}")
    d.start_gateway()

    def signed_up(name):
        body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
        registered = requests.post(f"{api}/api/v1/auth/register", json=body, timeout=10)
        check(registered.status_code == 201, f"{name} registers through nginx ({registered.status_code})")
        tokens = requests.post(f"{api}/api/v1/auth/login", json={"login": name, "password": PASSWORD}, timeout=10).json()
        return tokens["access_token"], tokens["user"]["id"]

    ada, ada_id = signed_up("ada")
    bob, bob_id = signed_up("bob")
    auth = lambda token: {"authorization": f"Bearer {token}"}

    media = requests.post(f"{api}/api/v1/media", headers=auth(ada), files={"file": ("dot.png", PNG, "image/png")}, timeout=10)
    check(media.status_code == 201, f"ada uploads an image to the S3 store ({media.status_code})")
    media_id = media.json()["id"]
    post = requests.post(
        f"{api}/api/v1/posts",
        headers=auth(ada),
        json={"text": "hello multiprocess #riffle", "media_ids": [media_id]},
        timeout=10,
    )
    check(post.status_code == 201, "ada posts with the image")
    post_id = post.json()["id"]
    post_trace_id = post.headers["traceparent"].split("-")[1]
    followed = requests.put(f"{api}/api/v1/users/{ada_id}/follow", headers=auth(bob), timeout=10)
    check(followed.status_code == 204, "bob follows ada (graph)")

    def home_ids(token):
        """Every post of the home timeline, page after page."""
        ids, cursor = [], None
        while True:
            params = {"limit": 40, **({"cursor": cursor} if cursor else {})}
            page = requests.get(f"{api}/api/v1/timelines/home", params=params, headers=auth(token), timeout=10).json()
            ids += [p["id"] for p in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return ids

    until("ada's post reaches bob's home", lambda: post_id in home_ids(bob))
    check(True, "bob's home has ada's post (feed, through NATS and Redis)")
    image = requests.get(f"{api}/api/v1/media/{media_id}/content", headers=auth(bob), timeout=10)
    check(image.content == PNG, "bob downloads the image")
    liked = requests.put(f"{api}/api/v1/posts/{post_id}/like", headers=auth(bob), timeout=10)
    check(liked.status_code == 200, "bob likes it (content)")
    until(
        "ada is told of the like",
        lambda: any(g["kind"] == "like" for g in requests.get(f"{api}/api/v1/notifications", headers=auth(ada), timeout=10).json()["items"]),
    )
    check(True, "ada's notifications have the like (notifications)")
    until(
        "search finds the post",
        lambda: any(i["id"] == post_id for i in requests.get(f"{api}/api/v1/search", params={"q": "multiprocess"}, timeout=10).json()["items"]),
    )
    check(True, "search finds the post (search)")
    source = requests.post(f"{api}/api/v1/sources", headers=auth(ada), json={"url": fixture_feed()}, timeout=30)
    check(source.status_code in (200, 201), f"ada subscribes to a feed (crawler) ({source.status_code})")
    def post_trace():
        """The post's spans, once they come from three processes and hang from one root."""
        spans = d.traces.trace(post_trace_id)
        ids = {span_id for *_, span_id, _ in spans}
        roots = [name for _, name, _, parent in spans if parent not in ids]
        services = {service for service, *_ in spans}
        return (spans, services) if len(services) >= 3 and roots == ["POST /api/v1/posts"] else None

    spans, services = until("ada's post is one trace across three services, at the receiver", post_trace)
    check(True, f"ada's post is one trace of {len(spans)} spans under POST /api/v1/posts, "
                f"across {', '.join(sorted(services))} (OTLP)")
    page = requests.get(f"{api}/home", cookies={"riffle_access": bob}, timeout=10)
    check(page.status_code == 200 and "hello multiprocess" in page.text, "the web process renders bob's home through the gateway")

    # The kill drill: a writer keeps posting with Idempotency-Keys; feed dies and comes back.
    acknowledged, stop = [], threading.Event()

    def writer():
        while not stop.is_set():
            key = uuid.uuid4().hex
            try:
                response = requests.post(
                    f"{api}/api/v1/posts",
                    headers={**auth(ada), "idempotency-key": key},
                    json={"text": f"drill {key}"},
                    timeout=5,
                )
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
            except requests.RequestException:
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1)
    d.kill("feed")
    killed_at = len(acknowledged)
    down = time.monotonic()
    me = requests.get(f"{api}/api/v1/me", headers=auth(bob), timeout=5)
    check(me.status_code == 200, "identity keeps answering while feed is down")
    time.sleep(1.5)
    check(len(acknowledged) > killed_at, f"content keeps accepting posts while feed is down ({len(acknowledged) - killed_at} more)")
    d.start("feed")
    until("feed is ready again", lambda: d.ready("feed"), 60)
    restarted = time.monotonic()
    time.sleep(1)
    stop.set()
    thread.join()
    wanted = set(acknowledged)

    def converged():
        ids = home_ids(bob)
        return wanted <= set(ids) and len(ids) == len(set(ids))

    until("every acknowledged post reaches bob's home exactly once", converged, 30)
    took = time.monotonic() - restarted
    check(True, f"kill drill: {len(wanted)} posts acknowledged, none lost or duplicated in bob's home, "
                f"converged {took:.1f} s after feed's restart (down {restarted - down:.1f} s)")


if __name__ == "__main__":
    main()
