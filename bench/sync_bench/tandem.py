"""Tandem as the harness drives it: tandem-server processes and a keep-alive
HTTP client for the SysML v2 and administration APIs (docs/api.md)."""

import base64
import http.client
import json
import os
import time

from . import procs

ADMIN_PASSWORD = "sync-bench-admin"
READER = ("sync-bench-reader", "sync-bench-reader-secret")


class HttpError(RuntimeError):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status


class Client:
    """One persistent HTTP/1.1 connection with Basic authentication."""

    def __init__(self, port, user="admin", password=ADMIN_PASSWORD, timeout=3600):
        self.port = port
        self.timeout = timeout
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, expect=(200, 201, 202)):
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
        headers = {"Authorization": self.auth, "Content-Type": "application/json"}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data if data is not None else b"", headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle kept-alive connection: one retry on a new one.
                self.close()
                if attempt == 1:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        text = raw.decode(errors="replace")
        if resp.status not in expect:
            raise HttpError(method, path, resp.status, text)
        return json.loads(text) if text else None


class Server:
    """One tandem-server on a free port with its own data directory."""

    def __init__(self, children, binary, data_dir, name):
        self.children = children
        self.binary = binary
        self.data_dir = data_dir
        self.name = name
        self.proc = None
        self.port = None

    def start(self):
        env = dict(os.environ, TANDEM_ADMIN_PASSWORD=ADMIN_PASSWORD)
        log = os.path.join(os.path.dirname(self.data_dir), f"{self.name}.log")
        self.proc = self.children.start([self.binary, "--data-dir", self.data_dir, "--port", "0",
                                         "--log-level", "warn"], log, env=env)
        m = procs.wait_for_log(self.proc, r"listening on http://[^:\s]+:(\d+)")
        self.port = int(m.group(1))
        return self

    def stop(self):
        if self.proc is not None:
            code = self.children.stop(self.proc, timeout=60)
            self.proc = None
            if code not in (0, -15):
                raise RuntimeError(f"tandem-server {self.name} exited with {code}; see its log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kw):
        return Client(self.port, **kw)

    def peak_rss_mb(self):
        return procs.peak_rss_mb(self.proc.pid) if self.proc else None


def commit_body(changes, previous):
    parts = [f'{{"identity":{{"@id":"{eid}"}},"payload":{text}}}' for eid, text in changes]
    body = '{"@type":"Commit","change":[' + ",".join(parts) + "]"
    if previous:
        body += f',"previousCommit":{{"@id":"{previous}"}}'
    return body + "}"


def create_project(client, name):
    return client.request("POST", "/sysml/v2/projects",
                          {"@type": "Project", "name": name, "description": "sync-bench"})["@id"]


def commit(client, project, changes, previous):
    """One commit; returns its id."""
    return client.request("POST", f"/sysml/v2/projects/{project}/commits",
                          commit_body(changes, previous))["@id"]


def populate(client, name, commits):
    """Creates a project holding `commits` in order; returns (project id, commit ids)."""
    project = create_project(client, name)
    ids, prev = [], None
    for c in commits:
        prev = commit(client, project, c, prev)
        ids.append(prev)
    return project, ids


def add_reader(client):
    client.request("POST", "/api/v1/users", {"name": READER[0], "password": READER[1], "role": "reader"})


def root_category(client):
    return client.request("GET", "/api/v1/server")["rootCategoryId"]


def create_config(target, source_url, resources, trigger, name="sync-bench"):
    """A remote configuration on `target` (a Client) reading `resources` from `source_url`."""
    body = {"name": name,
            "source": {"url": source_url, "username": READER[0], "password": READER[1]},
            "resources": resources, "categories": [],
            "targetCategoryId": root_category(target),
            "trigger": {"type": trigger}, "once": False, "enabled": True}
    return target.request("POST", "/api/v1/remote-configs", body)["id"]


def sync_now(target, config):
    """Runs the configuration and waits; returns (seconds, report)."""
    t0 = time.perf_counter()
    run = target.request("POST", f"/api/v1/remote-configs/{config}/sync?wait=true", b"")
    secs = time.perf_counter() - t0
    return secs, run.get("report", run)  # the run record carries its report


def wait_idle(target, config, timeout=1800):
    """Waits until a configuration's run (e.g. the first run of a commit trigger) has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = target.request("GET", f"/api/v1/remote-configs/{config}/status")
        if st.get("state") in ("idle", "completed") and st.get("lastRun"):
            bad = [r for r in st.get("resources", []) if r.get("state") != "synced"]
            if bad:
                raise RuntimeError(f"configuration {config}: resources not synced: {bad[:3]}")
            return st
        if st.get("state") == "error":
            raise RuntimeError(f"configuration {config} failed: {st.get('lastError')}")
        time.sleep(0.1)
    raise RuntimeError(f"configuration {config} still running after {timeout} s")


def head_seq(client):
    return client.request("GET", "/api/v1/changes?since=0&limit=1").get("headSeq", 0)


class FeedWatcher:
    """Long-polls a server's change feed for `commit.created` of given commit ids."""

    def __init__(self, client):
        self.client = client
        self.seq = head_seq(client)
        self.seen = set()

    def wait_commit(self, commit_id, timeout=60.0):
        """Returns time.perf_counter() when the commit was first seen on the feed."""
        deadline = time.monotonic() + timeout
        while commit_id not in self.seen:
            if time.monotonic() > deadline:
                raise RuntimeError(f"commit {commit_id} not visible on the target after {timeout:.0f} s")
            page = self.client.request("GET", f"/api/v1/changes?since={self.seq}&wait=5&limit=1000")
            now = time.perf_counter()
            for ev in page.get("events", []):
                if ev.get("type") == "commit.created" and ev.get("commitId"):
                    self.seen.add(ev["commitId"])
            self.seq = page.get("lastSeq", self.seq) or self.seq
        self.seen.discard(commit_id)
        return now
