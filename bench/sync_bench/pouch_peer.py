"""PouchDB's side: one document per element (_id = element id), each workload
commit one bulkDocs of new revisions, into a leveldb database served by
express-pouchdb; first synchronization = PouchDB.replicate(remote, fresh local)
(bench/pouch/pouch_bench.js)."""

import json
import os
import shutil
import subprocess
import time

from . import procs

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pouch", "pouch_bench.js")


def _env(ctx):
    return dict(os.environ, NODE_PATH=os.path.join(ctx.node_dir, "node_modules"))


def _node(ctx, *args, timeout=None):
    r = subprocess.run(["node", SCRIPT, *args], capture_output=True, env=_env(ctx), timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"pouch_bench.js {args[0]} failed ({r.returncode}): "
                           f"{r.stderr.decode(errors='replace')[-1500:]}")
    return json.loads(r.stdout.decode().strip().splitlines()[-1])


def first_sync(ctx, wl, runs):
    d = ctx.mkdir(f"pouch-{wl.name}")
    served = os.path.join(d, "served")
    os.makedirs(served)
    commits_file = os.path.join(d, "commits.jsonl")
    with open(commits_file, "w") as f:
        for changes in wl.commits:
            f.write(json.dumps(changes, separators=(",", ":")))
            f.write("\n")
    t0 = time.perf_counter()
    pop = _node(ctx, "populate", "--db", os.path.join(served, "src"), "--commits", commits_file)
    build_s = time.perf_counter() - t0
    os.remove(commits_file)
    if pop["revisions"] != wl.versions:
        raise RuntimeError(f"pouch {wl.name}: populated {pop['revisions']} revisions, expected {wl.versions}")
    out = {"populate_seconds": build_s, "source_bytes": procs.du_bytes(os.path.join(served, "src")),
           "seconds": [], "commits": len(wl.commits), "docs": pop["docs"]}
    ctx.log(f"  pouchdb: source populated with {len(wl.commits):,} bulkDocs in {build_s:.1f} s")
    server = ctx.children.start(["node", SCRIPT, "serve", "--dir", served, "--port", "0"],
                                os.path.join(d, "serve.log"), env=_env(ctx), cwd=d)
    try:
        port = int(procs.wait_for_log(server, r"listening on (\d+)").group(1))
        for i in range(runs):
            local = os.path.join(d, f"local{i}")
            r = _node(ctx, "replicate", "--url", f"http://127.0.0.1:{port}/src", "--db", local)
            if not r["ok"] or r["docsWritten"] != pop["docs"]:
                raise RuntimeError(f"pouch {wl.name}: replication wrote {r['docsWritten']} documents, "
                                   f"expected {pop['docs']}: {r}")
            out["seconds"].append(r["seconds"])
            ctx.log(f"  pouchdb {wl.name} run {i + 1}: {r['seconds']:.2f} s")
            shutil.rmtree(local, ignore_errors=True)
    finally:
        ctx.children.stop(server)
    return out
