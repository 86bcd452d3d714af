"""The workloads, generated from a seeded RNG identically for every system.

A workload is a list of commits; a commit is a list of (element id, JSON text)
changes, the JSON text being the element's whole new content, byte for byte the
same for Tandem (payload), git and svn (file content) and PouchDB (document).
An element is about 500 bytes: PartUsage with a ~400-character random
documentation text, so that it does not compress to nothing.
"""

import json
import random
import uuid

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Workload:
    def __init__(self, name, commits, note=""):
        self.name = name
        self.commits = commits  # [[(element id, json text), ...], ...]
        self.note = note

    @property
    def versions(self):
        return sum(len(c) for c in self.commits)

    @property
    def payload_bytes(self):
        return sum(len(text) for c in self.commits for _id, text in c)

    def element_ids(self):
        seen = {}
        for c in self.commits:
            for eid, _text in c:
                seen[eid] = True
        return list(seen)


class ElementFactory:
    def __init__(self, rng, doc_chars=400):
        self.rng = rng
        self.doc_chars = doc_chars
        # A vocabulary of random words: text that compresses about as well as prose.
        self.words = ["".join(rng.choice(_LETTERS) for _ in range(rng.randint(2, 11)))
                      for _ in range(4000)]

    def new_id(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def text(self):
        out, n = [], 0
        while n < self.doc_chars:
            w = self.rng.choice(self.words)
            out.append(w)
            n += len(w) + 1
        return " ".join(out)[: self.doc_chars]

    def element(self, eid, name):
        return json.dumps({"@type": "PartUsage", "@id": eid, "name": name, "declaredName": name,
                           "documentation": self.text()}, separators=(",", ":"))


def _changed(factory, names, eid):
    return (eid, factory.element(eid, names[eid]))


def w1(seed, elements, commits, changes, doc_chars=400):
    """One commit of `elements` new elements, then `commits` commits changing
    `changes` random existing elements each (new documentation text)."""
    rng = random.Random(seed)
    f = ElementFactory(rng, doc_chars)
    names, first = {}, []
    for i in range(elements):
        eid = f.new_id()
        names[eid] = f"part{i}"
        first.append((eid, f.element(eid, names[eid])))
    ids = list(names)
    out = [first]
    for _ in range(commits):
        out.append([_changed(f, names, eid) for eid in rng.sample(ids, changes)])
    return Workload("W1", out, f"{elements:,} elements + {commits:,} commits x {changes} changes")


def small_commits(rng, f, names, count, new_share=0.3):
    """`count` commits of 1-5 elements each, a mix of new and changed elements."""
    ids = list(names)
    out = []
    for _ in range(count):
        commit, touched = [], set()
        for _ in range(rng.randint(1, 5)):
            if not ids or rng.random() < new_share:
                eid = f.new_id()
                names[eid] = f"part{len(names)}"
                ids.append(eid)
            else:
                eid = rng.choice(ids)
                if eid in touched:
                    continue
            touched.add(eid)
            commit.append(_changed(f, names, eid))
        out.append(commit)
    return out


def w2(seed, commits):
    rng = random.Random(seed + 2)
    f = ElementFactory(rng)
    return Workload("W2", small_commits(rng, f, {}, commits),
                    f"{commits:,} commits of 1-5 elements (new and changed)")


class LatencyWorkload:
    """W3: an initial commit of the measured resource, then `rounds` batches of
    `commits` small commits (one batch per run and per configuration size), and
    one small commit for each other resource of the configuration."""

    def __init__(self, seed, initial, commits, rounds, others):
        rng = random.Random(seed + 3)
        f = ElementFactory(rng)
        names, first = {}, []
        for i in range(initial):
            eid = f.new_id()
            names[eid] = f"part{i}"
            first.append((eid, f.element(eid, names[eid])))
        self.initial = first
        self.batches = [small_commits(rng, f, names, commits) for _ in range(rounds)]
        self.others = []
        for i in range(others):
            eid = f.new_id()
            self.others.append([(eid, f.element(eid, f"other{i}"))])

    def all_commits_of_measured(self):
        return [self.initial] + [c for b in self.batches for c in b]


def w6(seed, target_bytes, elements=10000, changes=1000, doc_chars=4000):
    """A history of at least `target_bytes` of element JSON: elements of ~4 KB,
    then commits of `changes` changes until the total reaches the target."""
    per_version = doc_chars + 120
    commits = max(1, (target_bytes // per_version - elements) // changes + 1)
    wl = w1(seed + 6, elements, commits, changes, doc_chars)
    wl.name = "W6"
    wl.note = (f"{elements:,} elements of ~{doc_chars // 1000} KB + {commits:,} commits x "
               f"{changes:,} changes")
    return wl
