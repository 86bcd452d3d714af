"""git's side: one file per element (name = element id, content = its JSON),
one git commit per workload commit. First synchronization = `git clone --mirror`
over git:// from `git daemon`; commit to visible = `git push` into a bare
repository whose post-receive hook fetches into a mirror."""

import os
import shutil
import subprocess
import time

from . import procs

_ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
            GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid",
            GIT_CONFIG_NOSYSTEM="1", HOME=os.environ.get("HOME", "/root"))


def _git(*args, **kw):
    return procs.run(["git", *args], env=_ENV, **kw)


def fast_import_stream(commits, out, branch="refs/heads/main", first_parent=None):
    """Writes a `git fast-import` stream of `commits` to the binary file `out`."""
    when = 1700000000
    for i, changes in enumerate(commits):
        msg = f"commit {i + 1}".encode()
        out.write(f"commit {branch}\nmark :{i + 1}\n"
                  f"committer bench <bench@example.invalid> {when + i} +0000\n"
                  f"data {len(msg)}\n".encode() + msg + b"\n")
        if i > 0:
            out.write(f"from :{i}\n".encode())
        elif first_parent:
            out.write(f"from {first_parent}\n".encode())
        for eid, text in changes:
            data = text.encode()
            out.write(f"M 100644 inline {eid}\ndata {len(data)}\n".encode() + data + b"\n")
        out.write(b"\n")


def build_bare(path, commits):
    """A bare repository holding `commits` on main, fully repacked."""
    _git("init", "-q", "--bare", path)
    _git("--git-dir", path, "symbolic-ref", "HEAD", "refs/heads/main")
    proc = subprocess.Popen(["git", "--git-dir", path, "fast-import", "--quiet"], stdin=subprocess.PIPE,
                            env=_ENV)
    fast_import_stream(commits, proc.stdin)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"git fast-import failed ({proc.returncode})")
    _git("--git-dir", path, "repack", "-adf", "-q")
    return path


def first_sync(ctx, wl, runs):
    d = ctx.mkdir(f"git-{wl.name}")
    root = os.path.join(d, "served")
    os.makedirs(root)
    t0 = time.perf_counter()
    src = build_bare(os.path.join(root, "repo.git"), wl.commits)
    build_s = time.perf_counter() - t0
    out = {"populate_seconds": build_s, "source_bytes": procs.du_bytes(src), "seconds": [],
           "commits": len(wl.commits)}
    ctx.log(f"  git: source built with {len(wl.commits):,} commits in {build_s:.1f} s, "
            f"{out['source_bytes'] / 1e6:.1f} MB packed")
    port = procs.free_port()
    daemon = ctx.children.start(["git", "daemon", "--export-all", f"--base-path={root}", "--reuseaddr",
                                 "--listen=127.0.0.1", f"--port={port}"],
                                os.path.join(d, "daemon.log"), env=_ENV)
    try:
        procs.wait_for_port(port, daemon)
        for i in range(runs):
            dest = os.path.join(d, f"mirror{i}.git")
            t0 = time.perf_counter()
            _git("clone", "--mirror", "--quiet", f"git://127.0.0.1:{port}/repo.git", dest)
            secs = time.perf_counter() - t0
            count = int(_git("--git-dir", dest, "rev-list", "--count", "main").stdout)
            if count != len(wl.commits):
                raise RuntimeError(f"git {wl.name}: the mirror has {count} commits, expected {len(wl.commits)}")
            out["seconds"].append(secs)
            ctx.log(f"  git {wl.name} run {i + 1}: {secs:.2f} s")
            shutil.rmtree(dest, ignore_errors=True)
    finally:
        ctx.children.stop(daemon)
    return out


def _mirror_head(mirror):
    try:
        with open(os.path.join(mirror, "refs", "heads", "main")) as f:
            return f.read().strip()
    except FileNotFoundError:
        pass
    try:
        with open(os.path.join(mirror, "packed-refs")) as f:
            for line in f:
                if line.rstrip().endswith(" refs/heads/main"):
                    return line.split()[0]
    except FileNotFoundError:
        pass
    return None


def latency(ctx, lw, batches):
    """W3 for git: `batches` lists of commits, each pushed one at a time; the
    time from the start of `git push` until the mirror's main is that commit."""
    d = ctx.mkdir("git-W3")
    origin = build_bare(os.path.join(d, "origin.git"), [lw.initial])
    mirror = os.path.join(d, "mirror.git")
    _git("clone", "--mirror", "--quiet", origin, mirror)
    hook = os.path.join(origin, "hooks", "post-receive")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\n# sync-bench: every push is fetched into the mirror at once.\n"
                "unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
                f"exec git --git-dir='{mirror}' fetch --quiet origin '+refs/*:refs/*'\n")
    os.chmod(hook, 0o755)
    work = os.path.join(d, "work")
    _git("clone", "--quiet", origin, work)
    out = []
    for batch in batches:
        lat = []
        for changes in batch:
            for eid, text in changes:
                with open(os.path.join(work, eid), "w") as f:
                    f.write(text)
            _git("-C", work, "add", "-A")
            _git("-C", work, "commit", "-q", "-m", "sync-bench")
            sha = _git("-C", work, "rev-parse", "HEAD").stdout.decode().strip()
            t0 = time.perf_counter()
            push = subprocess.Popen(["git", "-C", work, "push", "-q", "origin", "main"], env=_ENV,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while _mirror_head(mirror) != sha:
                if time.monotonic() > deadline:
                    push.kill()
                    raise RuntimeError("git W3: the commit did not reach the mirror within 60 s")
                time.sleep(0.002)
            lat.append(time.perf_counter() - t0)
            _, err = push.communicate()
            if push.returncode != 0:
                raise RuntimeError(f"git push failed: {err.decode(errors='replace')}")
        out.append(lat)
    return out
