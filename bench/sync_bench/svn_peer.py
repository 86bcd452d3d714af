"""Subversion's side: one file per element, one revision per workload commit,
loaded with `svnadmin load` from a dump file written here, served by svnserve;
first synchronization = `svnsync initialize` + `svnsync synchronize` into a
fresh local `file://` mirror.

Unlike git's flat tree, the files lie in 256 directories named by the first two
characters of the element id (`ab/abcd...`): FSFS writes a directory's whole
listing again in every revision that changes it, so a flat directory of 10,000
files makes each revision cost about 0.25 s more, and loading W2's 10,000
revisions alone would take some 20 minutes. The sharded tree is how such a
repository would be laid out in svn, and it only makes svn faster."""

import os
import shutil
import subprocess
import time

from . import procs

_DATE = "2023-11-14T22:13:20.000000Z"


def _props(pairs):
    out = b""
    for k, v in pairs:
        k, v = k.encode(), v.encode()
        out += b"K %d\n%s\nV %d\n%s\n" % (len(k), k, len(v), v)
    return out + b"PROPS-END\n"


def write_dump(commits, path):
    """A dump file (format 2) with one revision per commit of (path, content) changes."""
    existing = set()
    with open(path, "wb") as out:
        out.write(b"SVN-fs-dump-format-version: 2\n\nUUID: 6f1c6e0e-5a4b-4c6e-9d1a-2b3c4d5e6f70\n\n")
        p = _props([("svn:date", _DATE)])
        out.write(b"Revision-number: 0\nProp-content-length: %d\nContent-length: %d\n\n%s\n"
                  % (len(p), len(p), p))
        for i, changes in enumerate(commits):
            p = _props([("svn:log", f"commit {i + 1}"), ("svn:author", "bench"), ("svn:date", _DATE)])
            out.write(b"Revision-number: %d\nProp-content-length: %d\nContent-length: %d\n\n%s\n"
                      % (i + 1, len(p), len(p), p))
            for eid, text in changes:
                data = text.encode()
                parent = eid.rpartition("/")[0]
                if parent and parent not in existing:
                    existing.add(parent)
                    out.write(b"Node-path: %s\nNode-kind: dir\nNode-action: add\n"
                              b"Prop-content-length: 10\nContent-length: 10\n\nPROPS-END\n\n\n"
                              % parent.encode())
                if eid in existing:
                    out.write(b"Node-path: %s\nNode-kind: file\nNode-action: change\n"
                              b"Text-content-length: %d\nContent-length: %d\n\n%s\n\n"
                              % (eid.encode(), len(data), len(data), data))
                else:
                    existing.add(eid)
                    empty = b"PROPS-END\n"
                    out.write(b"Node-path: %s\nNode-kind: file\nNode-action: add\n"
                              b"Prop-content-length: %d\nText-content-length: %d\nContent-length: %d\n\n"
                              b"%s%s\n\n" % (eid.encode(), len(empty), len(data), len(empty) + len(data),
                                             empty, data))


def _youngest(repo):
    return int(procs.run(["svnlook", "youngest", repo]).stdout)


def _current(repo):
    """The youngest revision from FSFS's db/current, without starting a process."""
    try:
        with open(os.path.join(repo, "db", "current")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def sharded(commits):
    return [[(f"{eid[:2]}/{eid}", text) for eid, text in c] for c in commits]


def first_sync(ctx, wl, runs, timeout):
    d = ctx.mkdir(f"svn-{wl.name}")
    root = os.path.join(d, "served")
    os.makedirs(root)
    src = os.path.join(root, "repo")
    t0 = time.perf_counter()
    dump = os.path.join(d, "load.dump")
    write_dump(sharded(wl.commits), dump)
    procs.run(["svnadmin", "create", src])
    with open(dump, "rb") as f:
        procs.run(["svnadmin", "load", "-q", "--no-flush-to-disk", src], stdin=f)
    os.remove(dump)
    build_s = time.perf_counter() - t0
    out = {"populate_seconds": build_s, "source_bytes": procs.du_bytes(src), "seconds": [],
           "commits": len(wl.commits), "extrapolated": []}
    ctx.log(f"  svn: source loaded with {len(wl.commits):,} revisions in {build_s:.1f} s")
    port = procs.free_port()
    server = ctx.children.start(["svnserve", "-d", "--foreground", "--listen-host", "127.0.0.1",
                                 "--listen-port", str(port), "-r", root], os.path.join(d, "svnserve.log"))
    url = f"svn://127.0.0.1:{port}/repo"
    try:
        procs.wait_for_port(port, server)
        for i in range(runs):
            mirror = os.path.join(d, f"mirror{i}")
            procs.run(["svnadmin", "create", mirror])
            hook = os.path.join(mirror, "hooks", "pre-revprop-change")
            with open(hook, "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(hook, 0o755)
            murl = "file://" + os.path.abspath(mirror)
            t0 = time.perf_counter()
            procs.run(["svnsync", "initialize", "--non-interactive", "--quiet", murl, url])
            # TMPDIR: a svnsync killed by the time-out leaves temporary files behind.
            sync = subprocess.Popen(["svnsync", "synchronize", "--non-interactive", "--quiet", murl],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                                    env=dict(os.environ, TMPDIR=d))
            # Poll the mirror's youngest revision, so that a run stopped by the
            # time-out is extrapolated from revisions/s after revision 1 (which
            # holds W1's 10,000 new files and costs far more than the others).
            first_rev_s, deadline = None, t0 + timeout
            try:
                while sync.poll() is None and time.perf_counter() < deadline:
                    if first_rev_s is None and _current(mirror) >= 1:
                        first_rev_s = time.perf_counter() - t0
                    time.sleep(0.02)
            except BaseException:
                os.killpg(sync.pid, 9)  # Ctrl-C: svnsync is in a session of its own
                sync.wait()
                raise
            try:
                _, err = sync.communicate(timeout=0 if sync.poll() is None else None)
                secs = time.perf_counter() - t0
                if sync.returncode != 0:
                    raise RuntimeError(f"svnsync synchronize failed: {err.decode(errors='replace')[-1000:]}")
                done = _youngest(mirror)
                if done != len(wl.commits):
                    raise RuntimeError(f"svn {wl.name}: the mirror has {done} revisions, expected "
                                       f"{len(wl.commits)}")
                out["extrapolated"].append(False)
                ctx.log(f"  svn {wl.name} run {i + 1}: {secs:.2f} s")
            except subprocess.TimeoutExpired:
                os.killpg(sync.pid, 9)
                sync.wait()
                elapsed = time.perf_counter() - t0
                done = _youngest(mirror)
                if done >= 2 and first_rev_s is not None:
                    rate = (done - 1) / (elapsed - first_rev_s)
                    secs = first_rev_s + (len(wl.commits) - 1) / rate
                    how = f"extrapolated from {rate:.1f} revisions/s after revision 1"
                else:
                    secs = elapsed
                    how = "too few revisions to extrapolate: the figure is only a lower bound"
                out["extrapolated"].append(True)
                out.setdefault("timeout_note", []).append(
                    f"stopped by --svn-timeout after {elapsed:.0f} s at revision {done:,} of "
                    f"{len(wl.commits):,}; the time is {how}")
                ctx.log(f"  svn {wl.name} run {i + 1}: timed out, {out['timeout_note'][-1]}")
            out["seconds"].append(secs)
            shutil.rmtree(mirror, ignore_errors=True)
            if out["extrapolated"][-1]:
                break  # one extrapolated run is enough: another would take as long
    finally:
        ctx.children.stop(server)
    return out
