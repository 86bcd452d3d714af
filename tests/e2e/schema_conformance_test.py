#!/usr/bin/env python3
"""End-to-end check that every record tandem-server returns conforms to the OMG
Systems Modeling API JSON schema (2020-12). Starts a server on a fresh data
directory, commits the PartsTreeRedefinition model, exercises every implemented
/sysml/v2 endpoint and the error paths, and validates each record against its
schema def. Needs only the standard library and python3-jsonschema (4.10)."""
import argparse, base64, copy, datetime, json, os, queue, re, shutil, signal
import subprocess, sys, tempfile, threading, time, traceback, urllib.error
import urllib.parse, urllib.request, uuid
from collections import Counter

from jsonschema import Draft202012Validator, FormatChecker, RefResolver

API = "https://www.omg.org/spec/SystemsModelingAPI/20230201/"
SYSML = "https://www.omg.org/spec/SysML/20230201/"
PASSWORD = "conformance-" + uuid.uuid4().hex[:12]
PROJECTS = "/sysml/v2/projects"
UUID_STR = {"type": "string", "format": "uuid"}
# The SysML metamodel schema is not shipped; minimal stand-ins for the two defs
# the API schema references from it.
METAMODEL_STUBS = {
    SYSML + "Identified": {"$id": SYSML + "Identified", "type": "object",
                           "properties": {"@id": UUID_STR}, "required": ["@id"]},
    SYSML + "Element": {"$id": SYSML + "Element", "type": "object",
                        "properties": {"@id": UUID_STR, "@type": {"type": "string"}},
                        "required": ["@id", "@type"]},
}
RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?"
                     r"([Zz]|[+-](\d\d):(\d\d))$")


def is_rfc3339(value):
    """Strict RFC 3339 date-time (jsonschema checks it only with rfc3339_validator, absent here)."""
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    try:
        y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
        datetime.date(y, mo, d)
    except (AttributeError, ValueError):
        return False
    off_ok = m.group(9) is None or (int(m.group(9)) < 24 and int(m.group(10)) < 60)
    return h < 24 and mi < 60 and s <= 60 and off_ok


class Schemas:
    def __init__(self, path):
        with open(path) as f:
            doc = json.load(f)
        Draft202012Validator.check_schema(doc)
        self.store = {d["$id"]: d for d in doc["$defs"].values()} | METAMODEL_STUBS
        self.formats = FormatChecker()
        if "date-time" not in self.formats.checkers:
            self.formats.checks("date-time")(is_rfc3339)
        assert "uuid" in self.formats.checkers, "jsonschema lacks the uuid format check"
        self.validators = {}

    def errors(self, record, name):
        if name not in self.validators:
            uri = (SYSML if name == "Element" else API) + name

            def offline(ref):  # never fetch a schema from the network
                raise LookupError(f"schema reference {ref} is not in the local store")
            resolver = RefResolver(uri, self.store[uri], store=self.store,
                                   handlers={"http": offline, "https": offline})
            self.validators[name] = Draft202012Validator({"$ref": uri}, resolver=resolver,
                                                         format_checker=self.formats)
        return sorted(self.validators[name].iter_errors(record), key=lambda e: str(e.absolute_path))


def describe(errors):
    """One line per error; for oneOf/anyOf, the deepest failures of the alternatives."""
    def leaves(e):
        return [x for c in e.context for x in leaves(c)] if e.context else [e]

    def path(e):
        return "/".join(map(str, e.absolute_path)) or "(record)"
    out = []
    for e in errors:
        if not e.context:
            out.append(f"{path(e)}: {e.message[:200]}")
            continue
        alts = [x for x in leaves(e) if x.validator_value != "null"] or leaves(e)
        alts = sorted(alts, key=lambda x: -len(x.absolute_path))
        msgs = list(dict.fromkeys(f"{path(x)}: {x.message[:150]}" for x in alts))[:4]
        out.append(f"{path(e)}: no alternative of {e.validator} matched ({' | '.join(msgs)})")
    return "; ".join(out) or "no schema errors"


def name_of(rec):
    if not isinstance(rec, dict):
        return repr(rec)[:60]
    side = rec.get("compareData") or rec.get("baseData") or {}
    return f"{rec.get('@type')} {rec.get('@id') or side.get('identity', {}).get('@id')}"


class Report:
    def __init__(self, schemas):
        self.schemas, self.passed, self.failures, self.validated = schemas, 0, [], Counter()

    def check(self, ok, where, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(f"{where}: {what}")
            print(f"FAIL {where}: {what}", flush=True)
        return bool(ok)

    def validate(self, record, name, where):
        self.validated[name] += 1
        errors = self.schemas.errors(record, name)
        return self.check(not errors, where,
                          f"record {name_of(record)} is not a valid {name}: {describe(errors)}")

    def expect(self, resp, status, where, schema=None):
        """Checks status and JSON content type; validates the body (or each item) against schema."""
        ok = self.check(resp.status == status and resp.ctype.startswith("application/json"), where,
                        f"expected {status} application/json, got {resp.status} {resp.ctype!r}: "
                        f"{resp.text[:300]}")
        if ok and schema:
            for rec in resp.body if isinstance(resp.body, list) else [resp.body]:
                self.validate(rec, schema, where)
        return ok


class Response:
    def __init__(self, status, headers, raw):
        self.status, self.text = status, raw.decode("utf-8", "replace")
        self.ctype, self.www_auth = headers.get("Content-Type", ""), headers.get("WWW-Authenticate")
        self.links = {rel: url for url, rel in
                      re.findall(r'<([^>]*)>\s*;\s*rel="([^"]+)"', headers.get("Link", ""))}
        try:
            self.body = json.loads(self.text)
        except ValueError:
            self.body = None


class Client:
    """Paths, Link targets included, are absolute: /sysml/v2/..., /api/v1/..."""
    def __init__(self, origin):
        self.origin = origin
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.auth = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()

    def call(self, method, path, body=None, raw=None, auth=True):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.origin + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", self.auth if auth is True else auth)
        try:
            with self.opener.open(req, timeout=60) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.call("GET", path, **kw)


def walk(c, rep, path, schema, rel="next"):
    """GETs path, validates every record, follows Link rel until none.
    Returns (records in list order, page count, last response)."""
    items, pages, seen, r = [], 0, set(), None
    while path and pages < 500:
        seen.add(path)
        r = c.get(path)
        if not rep.expect(r, 200, f"GET {path}", schema) or not isinstance(r.body, list):
            break
        items, pages = (items + r.body if rel == "next" else r.body + items), pages + 1
        path = r.links.get(rel)
        if path in seen:
            rep.check(False, f"GET {path}", f"Link rel={rel} loops back to a page already read")
            break
    return items, pages, r


def ids_of(records):
    return [r.get("@id") if isinstance(r, dict) else None for r in records]


def check_complete(rep, where, got_ids, want_ids):
    """Every wanted id exactly once, nothing else."""
    dup = sorted((i for i, n in Counter(got_ids).items() if n > 1), key=str)
    got, want = set(got_ids), set(want_ids)
    missing, extra = sorted(want - got, key=str), sorted(got - want, key=str)
    rep.check(not dup and not missing and not extra, where,
              f"{len(dup)} repeated, {len(missing)} missing, {len(extra)} unexpected ids "
              f"(e.g. {dup[:3]} {missing[:3]} {extra[:3]})")


# ------------------------------------------------------------------ test areas

def test_format_checking(rep):
    """Proves format checks are live: a bad uuid and bad date-times must be rejected."""
    errors, i = rep.schemas.errors, str(uuid.uuid4())
    commit = {"@id": i, "@type": "Commit", "alias": [], "description": None, "name": None,
              "owningProject": {"@id": i}, "previousCommit": [], "created": "2024-02-29T23:59:60.5Z"}
    rep.check(not errors(commit, "Commit"), "self-test", "a valid Commit is rejected")
    rep.check(errors(commit | {"@id": i[:-1]}, "Commit"), "self-test", "format uuid is not enforced")
    for bad in ("2023-02-29T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T24:00:00Z",
                "2024-01-01T00:00:00", "2024-01-01T00:00:00+25:00"):
        rep.check(errors(commit | {"created": bad}, "Commit"), "self-test", f"date-time {bad} accepted")


def test_error_responses(c, rep):
    rep.check(c.get("/api/v1/health", auth=False).status == 200, "GET /api/v1/health", "not 200")
    r = c.get(PROJECTS, auth=False)
    rep.expect(r, 401, "GET /projects without credentials", "Error")
    rep.check(r.www_auth, "GET /projects without credentials", "no WWW-Authenticate header")
    bad = "Basic " + base64.b64encode(b"admin:wrong-password").decode()
    rep.expect(c.get(PROJECTS, auth=bad), 401, "GET /projects with a wrong password", "Error")
    rep.expect(c.get(f"{PROJECTS}/{uuid.uuid4()}"), 404, "GET unknown project", "Error")
    rep.expect(c.get(f"{PROJECTS}/{uuid.uuid4()}/commits"), 404, "GET commits of unknown project",
               "Error")
    rep.expect(c.get(f"{PROJECTS}/not-a-uuid"), 400, "GET /projects/not-a-uuid", "Error")
    rep.expect(c.get("/sysml/v2/no-such-endpoint"), 404, "GET unknown endpoint", "Error")
    rep.expect(c.get(f"{PROJECTS}?page[size]=0"), 400, "GET /projects?page[size]=0", "Error")
    rep.expect(c.call("POST", PROJECTS, raw=b'{"@type": "Project", "name": '), 400,
               "POST /projects with malformed JSON", "Error")


def check_empty_branch(rep, branch, where):
    """The documented deviation: an empty branch has head and referencedCommit null. That
    must be the only schema error (the schema allows a null head, not a null referencedCommit)."""
    rep.validated["Branch (empty, documented deviation)"] += 1
    errors = rep.schemas.errors(branch, "Branch")
    only = (len(errors) == 1 and list(errors[0].absolute_path) == ["referencedCommit"]
            and branch.get("referencedCommit", 0) is None and branch.get("head", 0) is None)
    rep.check(only, where, "empty branch: expected exactly the documented deviation "
              f"(head and referencedCommit null), got: {describe(errors)}")


def test_projects(c, rep):
    """Returns the id and default branch of a project with no commit yet, for the model."""
    r = c.call("POST", PROJECTS, {"@type": "Project", "name": "PartsTree", "description": "test"})
    if not rep.expect(r, 201, "POST /projects", "Project"):
        raise RuntimeError("cannot create a project")
    pid, main = r.body["@id"], r.body["defaultBranch"]["@id"]
    rep.expect(c.get(f"{PROJECTS}/{pid}"), 200, "GET /projects/{id}", "Project")
    r = c.call("PUT", f"{PROJECTS}/{pid}", {"@type": "Project", "name": "Parts", "description": None})
    if rep.expect(r, 200, "PUT /projects/{id}", "Project"):
        rep.check(r.body["name"] == "Parts" and r.body["description"] is None, "PUT /projects/{id}",
                  f"update not applied: {r.body}")
    r = c.get(f"{PROJECTS}/{pid}/branches/{main}")
    if rep.expect(r, 200, "GET default branch of a fresh project"):
        check_empty_branch(rep, r.body, "GET default branch of a fresh project")
    r = c.get(f"{PROJECTS}/{pid}/branches")
    if rep.expect(r, 200, "GET /branches of a fresh project"):
        rep.check(len(r.body) == 1, "GET /branches", f"{len(r.body)} branches, expected 1")
        for b in r.body:
            check_empty_branch(rep, b, "GET /branches of a fresh project")
    r = c.call("POST", PROJECTS, {"@type": "Project", "name": "Throwaway"})
    if rep.expect(r, 201, "POST /projects (throwaway)", "Project"):
        tmp = r.body["@id"]
        projects, pages, _ = walk(c, rep, f"{PROJECTS}?page[size]=1", "Project")
        check_complete(rep, "GET /projects?page[size]=1 (Link walk)", ids_of(projects), [pid, tmp])
        rep.check(pages == 2, "GET /projects?page[size]=1", f"{pages} pages for 2 projects")
        rep.expect(c.call("DELETE", f"{PROJECTS}/{tmp}"), 200, "DELETE /projects/{id}", "Project")
        rep.expect(c.get(f"{PROJECTS}/{tmp}"), 404, "GET deleted project", "Error")
    return pid, main


def second_commit(model, c1):
    """Renames three PartUsages, deletes a Comment and adds a new root Comment."""
    by_id = {ch["identity"]["@id"]: ch["payload"] for ch in model["change"]}
    parts = [i for i, p in by_id.items() if p["@type"] == "PartUsage"][:3]
    deleted, added = next(i for i, p in by_id.items() if p["@type"] == "Comment"), str(uuid.uuid4())
    change = []
    for i in parts:
        p = copy.deepcopy(by_id[i])
        for key in ("declaredName", "name"):
            if p.get(key):
                p[key] += "_renamed"
        change.append({"@type": "DataVersion", "identity": {"@id": i}, "payload": p})
    change.append({"@type": "DataVersion", "identity": {"@id": deleted}, "payload": None})
    change.append({"@type": "DataVersion", "identity": {"@id": added}, "payload": {
        "@type": "Comment", "elementId": added, "body": "added by the conformance test",
        "owner": None, "owningRelationship": None, "aliasIds": []}})
    body = {"@type": "Commit", "name": "rename parts", "description": "second commit",
            "previousCommit": {"@id": c1}, "change": change}
    return body, {"modified": set(parts), "deleted": {deleted}, "added": {added}}


def test_commits(c, rep, pid, main, model_bytes, model):
    base = f"{PROJECTS}/{pid}"
    r = c.call("POST", f"{base}/commits", raw=model_bytes)
    if not rep.expect(r, 201, "POST /commits (PartsTreeRedefinition, 228 elements)", "Commit"):
        raise RuntimeError("cannot commit the model")
    c1 = r.body["@id"]
    body, diff = second_commit(model, c1)
    r = c.call("POST", f"{base}/commits", body)
    if not rep.expect(r, 201, "POST /commits (second, previousCommit = head)", "Commit"):
        raise RuntimeError("cannot make the second commit")
    c2 = r.body["@id"]
    rep.check(r.body["previousCommit"] == [{"@id": c1}], "POST /commits (second)",
              f"previousCommit is {r.body['previousCommit']}, expected c1")
    rep.expect(c.call("POST", f"{base}/commits", body | {"change": body["change"][:1]}), 409,
               "POST /commits with a stale previousCommit", "Error")
    rep.expect(c.call("POST", f"{base}/commits", raw=b'{"change": [}'), 400,
               "POST /commits with malformed JSON", "Error")
    r = c.get(f"{base}/branches/{main}")
    if rep.expect(r, 200, "GET default branch after two commits", "Branch"):
        rep.check(r.body["head"] == {"@id": c2}, "GET /branches/{id}", f"head is {r.body['head']}")
    rep.expect(c.get(f"{base}/commits/{c1}"), 200, "GET /commits/{id}", "Commit")
    rep.expect(c.get(f"{base}/commits/{uuid.uuid4()}"), 404, "GET unknown commit", "Error")
    commits, _, _ = walk(c, rep, f"{base}/commits?page[size]=1", "Commit")
    check_complete(rep, "GET /commits?page[size]=1 (Link walk)", ids_of(commits), [c1, c2])
    return c1, c2, diff


def test_changes(c, rep, pid, c1, c2, model, diff):
    base = f"{PROJECTS}/{pid}/commits"
    changes, _, _ = walk(c, rep, f"{base}/{c1}/changes?page[size]=100", "DataVersion")
    check_complete(rep, "GET /commits/{c1}/changes (Link walk)",
                   [ch.get("identity", {}).get("@id") for ch in changes],
                   [ch["identity"]["@id"] for ch in model["change"]])
    if changes:
        r = c.get(f"{base}/{c1}/changes/{changes[0]['@id']}")
        if rep.expect(r, 200, "GET /commits/{c1}/changes/{id}", "DataVersion"):
            rep.check(r.body == changes[0], "GET /changes/{id}", "differs from the list entry")
    changes2, _, _ = walk(c, rep, f"{base}/{c2}/changes", "DataVersion")
    kinds = {ch["identity"]["@id"]: ch["payload"] is None for ch in changes2 if "identity" in ch}
    rep.check(kinds == {i: i in diff["deleted"] for s in diff.values() for i in s},
              "GET /commits/{c2}/changes", f"unexpected changes (id: deleted?) {kinds}")
    for ch in changes2:
        if ch.get("payload") is None:
            rep.expect(c.get(f"{base}/{c2}/changes/{ch['@id']}"), 200,
                       "GET /commits/{c2}/changes/{id} (a deletion)", "DataVersion")
    rep.expect(c.get(f"{base}/{c1}/changes/{uuid.uuid4()}"), 404, "GET unknown change", "Error")


def test_elements(c, rep, pid, c1, c2, model, diff):
    base = f"{PROJECTS}/{pid}/commits"
    want = {ch["identity"]["@id"]: ch["payload"] | {"@id": ch["identity"]["@id"]}
            for ch in model["change"]}
    where = "GET /commits/{c1}/elements?page[size]=50"
    elements, pages, last = walk(c, rep, f"{base}/{c1}/elements?page[size]=50", "Element")
    check_complete(rep, where + " (Link rel=next walk)", ids_of(elements), want)
    rep.check(pages == 5, where, f"{pages} pages for 228 elements, expected 5")
    rep.check(all(want.get(e.get("@id")) == e for e in elements), where,
              "some element differs from its committed payload")
    prev = last.links.get("prev") if last else None
    if rep.check(prev, where, 'the last page has no Link rel="prev"'):
        back, _, _ = walk(c, rep, prev, "Element", rel="prev")
        rep.check(ids_of(back + last.body) == ids_of(elements), where + " (Link rel=prev walk)",
                  "walking back does not give the forward order")
    e = next(iter(want))
    r = c.get(f"{base}/{c1}/elements/{e}")
    if rep.expect(r, 200, "GET /commits/{c1}/elements/{id}", "Element"):
        rep.check(r.body == want[e], "GET /elements/{id}", "differs from the committed payload")
    rep.expect(c.get(f"{base}/{c1}/elements/{uuid.uuid4()}"), 404, "GET unknown element", "Error")
    want2 = {i: p for i, p in want.items() if i not in diff["deleted"]} | {i: {} for i in diff["added"]}
    elements2, _, _ = walk(c, rep, f"{base}/{c2}/elements?page[size]=1000", "Element")
    check_complete(rep, "GET /commits/{c2}/elements", ids_of(elements2), want2)

    def roots_of(els):
        return {i for i, p in els.items()
                if not any(p.get(k) for k in ("owner", "owningRelatedElement", "owningRelationship"))}
    roots, _, _ = walk(c, rep, f"{base}/{c1}/roots?page[size]=2", "Element")
    check_complete(rep, "GET /commits/{c1}/roots?page[size]=2 (Link walk)", ids_of(roots),
                   roots_of(want))
    roots2, _, _ = walk(c, rep, f"{base}/{c2}/roots", "Element")
    check_complete(rep, "GET /commits/{c2}/roots", ids_of(roots2), roots_of(want2))

    def refs(p, k):
        return {r["@id"] for r in (p.get(k) or [])}
    hub = Counter(s for p in want.values() for s in refs(p, "source")).most_common(1)[0][0]
    expected = {"out": {i for i, p in want.items() if hub in refs(p, "source")},
                "in": {i for i, p in want.items() if hub in refs(p, "target")}}
    expected["both"] = expected["in"] | expected["out"]
    for d in ("in", "out", "both"):
        rels, _, _ = walk(c, rep, f"{base}/{c1}/elements/{hub}/relationships?direction={d}"
                          "&page[size]=2", "Element")
        check_complete(rep, f"GET /elements/{{id}}/relationships?direction={d} (Link walk)",
                       ids_of(rels), expected[d])


def test_diff(c, rep, pid, c1, c2, diff):
    path = f"{PROJECTS}/{pid}/commits/{c2}/diff?baseCommitId={c1}&page[size]=2"
    records, _, _ = walk(c, rep, path, "DataDifference")
    got = {"modified": set(), "added": set(), "deleted": set()}
    for d in records:
        b, k = d.get("baseData"), d.get("compareData")
        got["modified" if b and k else "added" if k else "deleted"].add(
            (b or k or {}).get("identity", {}).get("@id"))
    rep.check(got == diff and len(records) == 5, "GET /commits/{c2}/diff?baseCommitId={c1}",
              f"diff is {got}, expected {diff}")
    rep.expect(c.get(f"{PROJECTS}/{pid}/commits/{c2}/diff"), 400, "GET /diff without baseCommitId",
               "Error")


def test_branches_and_tags(c, rep, pid, main, c1, c2):
    base = f"{PROJECTS}/{pid}"
    r = c.call("POST", f"{base}/branches", {"@type": "Branch", "name": "feature", "head": {"@id": c1}})
    if rep.expect(r, 201, "POST /branches", "Branch"):
        b = r.body["@id"]
        rep.check(r.body["head"] == r.body["referencedCommit"] == {"@id": c1}, "POST /branches",
                  f"head/referencedCommit are not c1: {r.body}")
        r = c.call("POST", f"{base}/commits?branchId={b}", {"@type": "Commit", "change": [
            {"@type": "DataVersion", "identity": {"@id": str(uuid.uuid4())},
             "payload": {"@type": "Comment", "body": "on feature"}}]})
        rep.expect(r, 201, "POST /commits?branchId={feature}", "Commit")
        rep.expect(c.get(f"{base}/branches/{b}"), 200, "GET /branches/{id}", "Branch")
        branches, _, _ = walk(c, rep, f"{base}/branches?page[size]=1", "Branch")
        check_complete(rep, "GET /branches?page[size]=1 (Link walk)", ids_of(branches), [main, b])
        rep.expect(c.call("DELETE", f"{base}/branches/{b}"), 200, "DELETE /branches/{id}", "Branch")
        rep.expect(c.get(f"{base}/branches/{b}"), 404, "GET deleted branch", "Error")
    rep.expect(c.call("DELETE", f"{base}/branches/{main}"), 409, "DELETE default branch", "Error")
    tags = []
    for name, commit, extra in (("v1", c1, {"description": "first"}), ("tmp", c2, {})):
        r = c.call("POST", f"{base}/tags",
                   {"@type": "Tag", "name": name, "taggedCommit": {"@id": commit}} | extra)
        if rep.expect(r, 201, f"POST /tags ({name})", "Tag"):
            tags.append(r.body["@id"])
    if len(tags) == 2:
        rep.expect(c.get(f"{base}/tags/{tags[0]}"), 200, "GET /tags/{id}", "Tag")
        listed, _, _ = walk(c, rep, f"{base}/tags?page[size]=1", "Tag")
        check_complete(rep, "GET /tags?page[size]=1 (Link walk)", ids_of(listed), tags)
        rep.expect(c.call("DELETE", f"{base}/tags/{tags[1]}"), 200, "DELETE /tags/{id}", "Tag")
        rep.expect(c.get(f"{base}/tags/{tags[1]}"), 404, "GET deleted tag", "Error")


def test_queries(c, rep, pid, c1, model):
    base = f"{PROJECTS}/{pid}"
    parts = [ch["identity"]["@id"] for ch in model["change"] if ch["payload"]["@type"] == "PartUsage"]
    usages = [ch["identity"]["@id"] for ch in model["change"]
              if ch["payload"]["@type"] in ("PartUsage", "AttributeUsage")]
    q = {"@type": "Query", "name": "parts", "select": ["name"],
         "where": {"@type": "PrimitiveConstraint", "inverse": False, "operator": "=",
                   "property": "@type", "value": ["PartUsage"]}}
    r = c.call("POST", f"{base}/queries", q)
    if rep.expect(r, 201, "POST /queries", "Query"):
        qid = r.body["@id"]
        rep.check(r.body["where"] == q["where"] and r.body["owningProject"] == {"@id": pid},
                  "POST /queries", f"the record does not hold the query: {r.body}")
        rep.expect(c.get(f"{base}/queries/{qid}"), 200, "GET /queries/{id}", "Query")
        listed, _, _ = walk(c, rep, f"{base}/queries?page[size]=1", "Query")
        check_complete(rep, "GET /queries (Link walk)", ids_of(listed), [qid])
        results, _, _ = walk(c, rep, f"{base}/queries/{qid}/results?commitId={c1}&page[size]=5",
                             "Element")
        check_complete(rep, "GET /queries/{id}/results?page[size]=5 (Link walk)", ids_of(results),
                       parts)
        rep.expect(c.call("PUT", f"{base}/queries/{qid}", q | {"name": "renamed"}), 200,
                   "PUT /queries/{id}", "Query")
        rep.expect(c.call("DELETE", f"{base}/queries/{qid}"), 200, "DELETE /queries/{id}", "Query")
        rep.expect(c.get(f"{base}/queries/{qid}"), 404, "GET deleted query", "Error")
    # The pilot's looser form: a scalar value and a composite of one constraint.
    r = c.call("POST", f"{base}/query-results?commitId={c1}&page[size]=500",
               {"@type": "Query", "where": {"@type": "CompositeConstraint", "operator": "or",
                                            "constraint": [{"@type": "PrimitiveConstraint",
                                                            "operator": "instanceOf",
                                                            "property": "@type", "value": "Usage"}]}})
    if rep.expect(r, 200, "POST /query-results (instanceOf Usage)", "Element"):
        check_complete(rep, "POST /query-results (instanceOf Usage)", ids_of(r.body), usages)
    r = c.call("GET", f"{base}/query-results", q)  # the head of the default branch
    if rep.expect(r, 200, "GET /query-results with a body", "Element"):
        check_complete(rep, "GET /query-results with a body", ids_of(r.body), parts)
    bad = {"@type": "Query", "where": {"@type": "PrimitiveConstraint", "operator": "like",
                                       "property": "@type", "value": ["PartUsage"]}}
    r = c.call("POST", f"{base}/query-results", bad)
    if rep.expect(r, 400, "POST /query-results (operator 'like')", "Error"):
        rep.check("where.operator" in r.body["description"] and "instanceOf" in r.body["description"],
                  "POST /query-results (operator 'like')", f"message: {r.body['description']}")


def test_merge(c, rep, pid, main, model):
    """A merge without conflicts (201, two parents), with one (409 listing it), resolved, repeated."""
    base = f"{PROJECTS}/{pid}"
    named = [ch for ch in model["change"] if isinstance(ch["payload"].get("name"), str)][:3]

    def head(branch):
        return c.get(f"{base}/branches/{branch}").body["head"]["@id"]

    def rename(branch, ch, name):
        element = ch["payload"] | {"@id": ch["identity"]["@id"], "name": name}
        r = c.call("POST", f"{base}/commits?branchId={branch}", {"@type": "Commit", "change": [
            {"@type": "DataVersion", "identity": {"@id": element["@id"]}, "payload": element}]})
        rep.expect(r, 201, f"POST /commits (rename to {name})", "Commit")
        return r.body.get("@id") if isinstance(r.body, dict) else None

    r = c.call("POST", f"{base}/branches", {"@type": "Branch", "name": "to-merge",
                                           "head": {"@id": head(main)}})
    if not rep.expect(r, 201, "POST /branches (to-merge)", "Branch"):
        return
    side = r.body["@id"]
    theirs = rename(side, named[0], "renamed on the side branch")
    ours = rename(main, named[1], "renamed on main")
    r = c.call("POST", f"{base}/branches/{main}/merge?sourceCommitId={theirs}"
                       "&description=take%20the%20side%20branch", [])
    if rep.expect(r, 201, "POST /branches/{id}/merge", "Commit"):
        rep.check(r.body["previousCommit"] == [{"@id": ours}, {"@id": theirs}],
                  "POST /branches/{id}/merge", f"previousCommit is not [head, source]: {r.body}")
        rep.check(r.body["description"] == "take the side branch", "POST /branches/{id}/merge",
                  f"description not kept: {r.body}")
        merged = r.body["@id"]
        e = c.get(f"{base}/commits/{merged}/elements/{named[0]['identity']['@id']}")
        rep.check(e.status == 200 and e.body.get("name") == "renamed on the side branch",
                  "GET element of the merge commit", f"the side branch's change is missing: {e.text[:200]}")
    r = c.call("POST", f"{base}/branches/{main}/merge?sourceCommitId={theirs}", None)
    rep.expect(r, 200, "POST /branches/{id}/merge (already merged)", "Commit")

    conflict_id = named[2]["identity"]["@id"]
    theirs = rename(side, named[2], "theirs")
    rename(main, named[2], "ours")
    r = c.call("POST", f"{base}/branches/{main}/merge?sourceCommitId={theirs}", [])
    if rep.expect(r, 409, "POST /branches/{id}/merge (conflict)", "DataIdentity"):
        rep.check(ids_of(r.body) == [conflict_id], "POST /branches/{id}/merge (conflict)",
                  f"conflicts are not exactly the element changed on both sides: {r.body}")
    resolution = named[2]["payload"] | {"@id": conflict_id, "name": "resolved"}
    r = c.call("POST", f"{base}/branches/{main}/merge?sourceCommitId={theirs}", [resolution])
    if rep.expect(r, 201, "POST /branches/{id}/merge (with a resolution)", "Commit"):
        e = c.get(f"{base}/commits/{r.body['@id']}/elements/{conflict_id}")
        rep.check(e.status == 200 and e.body.get("name") == "resolved",
                  "POST /branches/{id}/merge (with a resolution)", f"not resolved: {e.text[:200]}")
    r = c.call("POST", f"{base}/branches/{main}/merge?sourceCommitId={theirs},{theirs}", [])
    if rep.expect(r, 501, "POST /branches/{id}/merge (two sources)", "Error"):
        rep.check("one at a time" in r.body["description"], "POST /branches/{id}/merge (two sources)",
                  f"the message does not say what to do: {r.body['description']}")


def test_project_usage(c, rep, pid, c1, element):
    """An element another project brings in answers with the ProjectUsage; its own are 404."""
    app = c.call("POST", PROJECTS, {"@type": "Project", "name": f"app-{uuid.uuid4().hex[:6]}"})
    if not rep.expect(app, 201, "POST /projects (a project that uses another)", "Project"):
        return
    usage_id = str(uuid.uuid4())
    usage = {"@type": "ProjectUsage", "@id": usage_id, "usedProject": {"@id": pid},
             "usedCommit": {"@id": c1}}
    base = f"{PROJECTS}/{app.body['@id']}"
    r = c.call("POST", f"{base}/commits", {"@type": "Commit", "change": [
        {"@type": "DataVersion", "identity": {"@id": usage_id}, "payload": usage}]})
    if not rep.expect(r, 201, "POST /commits (a ProjectUsage)", "Commit"):
        return
    at = f"{base}/commits/{r.body['@id']}/elements"
    where = "GET /commits/{id}/elements/{id}/projectUsage"
    got = c.get(f"{at}/{element}/projectUsage")
    if rep.expect(got, 200, where, "ProjectUsage"):
        rep.check(got.body == usage, where, f"not the usage committed: {got.body}")
    for eid, what in [(usage_id, "belongs to project"), (str(uuid.uuid4()), "nor in a project it uses")]:
        r = c.get(f"{at}/{eid}/projectUsage")
        if rep.expect(r, 404, f"{where} (not brought in)", "Error"):
            rep.check(what in r.body["description"], f"{where} (not brought in)",
                      f"the message does not say why: {r.body['description']}")


def openapi_response_schema(openapi, path):
    return openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def test_meta(c, rep, openapi, model):
    """The data types answer as the OpenAPI document has it, are valid JSON Schemas, match the
    API's own schema defs and admit every element of the model."""
    all_types = c.get("/sysml/v2/meta/datatypes")
    if not rep.expect(all_types, 200, "GET /meta/datatypes"):
        return
    errors = list(Draft202012Validator(openapi_response_schema(openapi, "/meta/datatypes"))
                  .iter_errors(all_types.body))
    rep.check(not errors, "GET /meta/datatypes", f"not the response OpenAPI gives: {describe(errors)}")
    defs = all_types.body.get("$defs", {})
    one_schema = openapi_response_schema(openapi, "/meta/datatypes/{datatypeId}")
    for uri, schema in defs.items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as e:  # jsonschema.SchemaError
            rep.check(False, f"GET /meta/datatypes: {uri}", f"not a valid JSON Schema: {e}")
            continue
        errors = list(Draft202012Validator(one_schema).iter_errors(schema))
        rep.check(not errors and schema.get("$id") == uri, f"GET /meta/datatypes: {uri}",
                  f"not a datatype as OpenAPI gives it: {describe(errors)}")
    for name in ["ExternalData", "ExternalRelationship", "ProjectUsage"]:
        ours, theirs = defs.get(API + name, {}), rep.schemas.store[API + name]
        rep.check(ours.get("required") == theirs["required"] and
                  set(ours.get("properties", {})) == set(theirs["properties"]) and
                  ours.get("additionalProperties") == theirs["additionalProperties"],
                  f"GET /meta/datatypes: {name}", f"differs from the API's schema def: {ours}")
    checked = Counter()
    for change in model["change"]:
        e = change["payload"] | {"@id": change["identity"]["@id"]}  # as stored
        schema = defs.get(SYSML + e["@type"])
        if not rep.check(schema is not None, "GET /meta/datatypes", f"no datatype for {e['@type']}"):
            continue
        errors = list(Draft202012Validator(schema, format_checker=rep.schemas.formats).iter_errors(e))
        rep.check(not errors, f"GET /meta/datatypes: {e['@type']}",
                  f"model element {e['@id']} does not validate: {describe(errors)}")
        checked[e["@type"]] += 1
    print(f"model elements checked against the served datatypes: {sum(checked.values())} "
          f"of {len(checked)} types", flush=True)
    for path in [urllib.parse.quote(SYSML + "PartUsage", safe=""), SYSML + "PartUsage", "PartUsage"]:
        r = c.get(f"/sysml/v2/meta/datatypes/{path}")
        if rep.expect(r, 200, "GET /meta/datatypes/{datatypeId}"):
            errors = list(Draft202012Validator(one_schema).iter_errors(r.body))
            rep.check(not errors and r.body == defs.get(SYSML + "PartUsage"),
                      "GET /meta/datatypes/{datatypeId}",
                      f"{path}: not the PartUsage of the list: {describe(errors)}")
    r = c.get("/sysml/v2/meta/datatypes/Boolean")
    rep.expect(r, 404, "GET /meta/datatypes/{datatypeId} (unknown)", "Error")


# ------------------------------------------------------------------ server

def start_server(binary, data_dir, log):
    """Starts tandem-server and returns (process, origin) once it prints 'listening on'."""
    proc = subprocess.Popen([binary, "--data-dir", data_dir, "--port", "0"], text=True,
                            env=dict(os.environ, TANDEM_ADMIN_PASSWORD=PASSWORD),
                            stdout=subprocess.PIPE, stderr=log)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            m = re.match(r"listening on (http://\S+)", lines.get(timeout=0.2))
        except queue.Empty:
            continue
        if m:
            return proc, m.group(1).rstrip("/")
    proc.kill()
    raise RuntimeError(f"tandem-server did not report 'listening on' (exit code {proc.wait()})")


def stop_server(proc, rep):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = f"none: still running 30 s after SIGTERM (killed; {proc.wait()})"
    rep.check(rc == 0, "tandem-server on SIGTERM", f"exit code {rc}, expected 0")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--shared-dir", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.shared_dir, "data/sysml-v2/PartsTreeRedefinition.json"), "rb") as f:
        model_bytes = f.read()
    model = json.loads(model_bytes)
    with open(os.path.join(args.shared_dir, "reference/sysml-v2/openapi-sans-schemas.json")) as f:
        openapi = json.load(f)
    rep = Report(Schemas(os.path.join(
        args.shared_dir, "reference/sysml-v2/schemas-sans-metamodel-requests.json")))
    tmp = tempfile.mkdtemp(prefix="tandem-schema-")
    log_path, proc = os.path.join(tmp, "server.log"), None
    try:
        with open(log_path, "w") as log:
            test_format_checking(rep)
            proc, origin = start_server(args.server_bin, os.path.join(tmp, "data"), log)
            c = Client(origin)
            test_error_responses(c, rep)
            pid, main_branch = test_projects(c, rep)
            c1, c2, diff = test_commits(c, rep, pid, main_branch, model_bytes, model)
            test_changes(c, rep, pid, c1, c2, model, diff)
            test_elements(c, rep, pid, c1, c2, model, diff)
            test_diff(c, rep, pid, c1, c2, diff)
            test_branches_and_tags(c, rep, pid, main_branch, c1, c2)
            test_queries(c, rep, pid, c1, model)
            test_merge(c, rep, pid, main_branch, model)
            test_project_usage(c, rep, pid, c1, model["change"][0]["identity"]["@id"])
            test_meta(c, rep, openapi, model)
    except Exception as e:
        traceback.print_exc()
        rep.check(False, "test run", f"aborted: {e!r}")
    finally:
        if proc is not None:
            stop_server(proc, rep)
        if rep.failures:
            with open(log_path) as f:
                print("--- last lines of the server log ---\n" + "".join(f.readlines()[-20:]))
        shutil.rmtree(tmp, ignore_errors=True)
    print("records validated: " + ", ".join(f"{k} {n}" for k, n in sorted(rep.validated.items()))
          + f"; total {sum(rep.validated.values())}")
    print(f"{rep.passed} passed, {len(rep.failures)} failed")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
