"""bench/sync-bench: Tandem's synchronization side by side with git, svnsync and
PouchDB replication on the same generated workloads (docs/benchmarks.md)."""

import argparse
import datetime
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from . import git_peer, install, pouch_peer, procs, raw_http, svn_peer, tandem_peer, workloads
from .report import Rows, loadavg, machine, percentile, section_body, text_table, write_doc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = ("W1", "W2", "W3", "W4", "W6", "W7", "W8")
SYSTEMS = ("tandem", "git", "svn", "pouchdb")
PEER_NAMES = {"tandem": "Tandem", "git": "git clone --mirror", "svn": "svnsync", "pouchdb": "PouchDB replicate"}

FULL = {"w1": (10000, 1000, 100), "w2": 10000, "w3_commits": 200, "w3_sizes": (1, 1000), "w4": 1000}
SMOKE = {"w1": (1000, 50, 20), "w2": 500, "w3_commits": 30, "w3_sizes": (1, 50), "w4": 50}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/sync-bench", description=__doc__)
    p.add_argument("--smoke", action="store_true", help="small sizes, one run: seconds to a minute")
    p.add_argument("--only", default=None, help="workloads to run, e.g. W1,W3 (default: all but W6)")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="systems, of " + ",".join(SYSTEMS))
    p.add_argument("--runs", type=int, default=None, help="repetitions (default 3, smoke 1)")
    p.add_argument("--w6", action="store_true", help="also W6 (peak RSS on a >= 1 GB history; full mode)")
    p.add_argument("--w6-bytes", type=int, default=1 << 30, help="W6 history size in bytes of element JSON")
    p.add_argument("--tandem-bin", default=os.path.join(REPO, "build", "tools"),
                   help="directory holding tandem-server/tandem-server (or tandem-server itself)")
    p.add_argument("--tandem-commit", default=None,
                   help="the commit the binaries were built from, for the record (default: this "
                        "repository's HEAD)")
    p.add_argument("--svn-timeout", type=float, default=1800.0,
                   help="seconds per svnsync run before it is stopped and its time extrapolated")
    p.add_argument("--svn-runs", type=int, default=None,
                   help="repetitions of svnsync (default: --runs); each can take many minutes")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work-dir", default=None, help="where the run's temporary directory goes (default: the system's temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--json", default=None, metavar="FILE", help="write every raw figure to FILE")
    p.add_argument("--doc", default=os.path.join(REPO, "docs", "benchmarks.md"))
    p.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    p.add_argument("--render-json", default=None, metavar="FILE",
                   help="measure nothing: print and write the table of an earlier run's --json FILE")
    p.add_argument("--node-dir", default=os.path.expanduser("~/.cache/tandem-sync-bench/node"),
                   help="where the PouchDB npm packages are installed")
    a = p.parse_args(argv)
    a.only = ([w.strip().upper() for w in a.only.split(",") if w.strip()] if a.only
              else [w for w in WORKLOADS if w != "W6" or a.w6])
    a.systems = [s.strip().lower() for s in a.systems.split(",") if s.strip()]
    for w in a.only:
        if w not in WORKLOADS:
            p.error(f"--only: unknown workload {w!r} (known: {', '.join(WORKLOADS)})")
    for s in a.systems:
        if s not in SYSTEMS:
            p.error(f"--systems: unknown system {s!r} (known: {', '.join(SYSTEMS)})")
    if a.smoke and "W6" in a.only:
        p.error("W6 is for the full mode only")
    if a.runs is None:
        a.runs = 1 if a.smoke else 3
    if a.runs < 1:
        p.error("--runs must be at least 1")
    if a.svn_runs is None:
        a.svn_runs = a.runs
    if a.svn_runs < 1:
        p.error("--svn-runs must be at least 1")
    return a


class Context:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.runs = args.runs
        self.keep = args.keep
        self.node_dir = args.node_dir
        self.children = procs.Children()
        self.t0 = time.monotonic()
        b = args.tandem_bin
        self.server_bin = b if os.path.isfile(b) else os.path.join(b, "tandem-server", "tandem-server")
        if not os.path.isfile(self.server_bin) and os.path.isfile(os.path.join(b, "tandem-server")):
            self.server_bin = os.path.join(b, "tandem-server")  # a flat copy of the binaries

    def mkdir(self, name):
        path = os.path.join(self.work, name)
        n = 1
        while os.path.exists(path):
            n += 1
            path = os.path.join(self.work, f"{name}-{n}")
        os.makedirs(path)
        return path

    def log(self, msg):
        print(f"[{time.monotonic() - self.t0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def _install_peers(ctx, systems):
    missing = {}
    for s in systems:
        if s == "tandem":
            if not os.access(ctx.server_bin, os.X_OK):
                missing[s] = f"no tandem-server at {ctx.server_bin} (build it, or pass --tandem-bin)"
            continue
        err = {"git": lambda: install.ensure_git(ctx.log), "svn": lambda: install.ensure_svn(ctx.log),
               "pouchdb": lambda: install.ensure_pouch(ctx.node_dir, ctx.log)}[s]()
        if err:
            missing[s] = err
    return missing


def _attempt(ctx, rows, raw, key, label, fn):
    """Runs one measurement; a failure is recorded, reported, and the run goes on."""
    try:
        raw[key] = fn()
        return raw[key]
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - every failure is shown in the table and the notes
        ctx.log(f"  {label} FAILED: {e}")
        traceback.print_exc(file=sys.stderr)
        raw[key] = {"error": str(e)}
        rows.notes.append(f"{label} failed: {str(e).splitlines()[0][:300]}")
        return None


def _first_sync_rows(rows, w, system, r):
    name = PEER_NAMES[system]
    if r is None:
        rows.add(w, "first sync (s)", name, [])
        return
    note = None
    if r.get("extrapolated") and any(r["extrapolated"]):
        note = "extrapolated"
        rows.notes.append(f"svnsync {w}: " + "; ".join(r.get("timeout_note", [])))
    rows.add(w, "first sync (s)", name, r["seconds"], note=note)
    if system == "tandem":
        rows.add(w, "peak RSS source (MB)", "Tandem", r["source_rss_mb"])
        rows.add(w, "peak RSS target (MB)", "Tandem", r["target_rss_mb"])
        rows.add(w, "pack bytes (MB)", "Tandem", [b / 1e6 for b in r["pack_bytes"] if b is not None])


def run(args):
    # Always a directory of our own (under --work-dir when given): only it is removed.
    if args.work_dir:
        os.makedirs(args.work_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="sync-bench-", dir=args.work_dir)
    ctx = Context(args, work)
    sizes = SMOKE if args.smoke else FULL
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "load_start": loadavg(), "machine": machine(),
            "command": " ".join(shlex.quote(a) for a in ["bench/sync-bench"] + sys.argv[1:]),
            "mode": "smoke" if args.smoke else "full", "tandem_bin": os.path.abspath(args.tandem_bin),
            "runs": args.runs, "workloads": args.only, "systems": args.systems, "seed": args.seed}
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        meta["commit"] = args.tandem_commit or head or "unknown"
    except OSError:
        meta["commit"] = "unknown"
    rows, raw = Rows(), {}
    ctx.log(f"sync-bench: {meta['mode']} mode, workloads {','.join(args.only)}, systems "
            f"{','.join(args.systems)}, {args.runs} run(s), work dir {work}")
    missing = _install_peers(ctx, args.systems)
    for s, why in missing.items():
        ctx.log(f"  {s}: not available: {why}")
        rows.notes.append(f"{PEER_NAMES[s]}: not available: {why}")
    avail = [s for s in args.systems if s not in missing]
    want = set(args.only)
    if want & {"W7", "W8"} and "W1" not in want:
        ctx.log("  W7/W8 need W1's history: running W1 too")
        want.add("W1")

    try:
        # W1, W2: first synchronization.
        for w in ("W1", "W2"):
            if w not in want:
                continue
            wl = (workloads.w1(args.seed, *sizes["w1"]) if w == "W1" else workloads.w2(args.seed, sizes["w2"]))
            ctx.log(f"{w}: {wl.note}; {wl.versions:,} element versions, {wl.payload_bytes / 1e6:.1f} MB of JSON")
            raw[w] = {"note": wl.note, "versions": wl.versions, "payload_bytes": wl.payload_bytes}
            for s in args.systems:
                if s in missing:
                    rows.unavailable(w, "first sync (s)", PEER_NAMES[s], "not available")
                    continue
                fn = {"tandem": lambda: tandem_peer.first_sync(ctx, wl, args.runs),
                      "git": lambda: git_peer.first_sync(ctx, wl, args.runs),
                      "svn": lambda: svn_peer.first_sync(ctx, wl, args.svn_runs, args.svn_timeout),
                      "pouchdb": lambda: pouch_peer.first_sync(ctx, wl, args.runs)}[s]
                r = _attempt(ctx, rows, raw[w], s, f"{PEER_NAMES[s]} {w}", fn)
                _first_sync_rows(rows, w, s, r)
            del wl

        w1 = raw.get("W1", {})
        if "W8" in args.only and w1:
            for s, label in (("tandem", "Tandem source"), ("tandem", "Tandem target"), ("git", "git packed"),
                             ("svn", "svn"), ("pouchdb", "PouchDB")):
                r = w1.get(s)
                if s not in args.systems:
                    continue
                if s in missing:
                    rows.unavailable("W8", "store size (MB)", label, "not available")
                elif r and "source_bytes" in r:
                    v = r["target_bytes"] if label == "Tandem target" else [r["source_bytes"]]
                    rows.add("W8", "store size (MB)", label, [b / 1e6 for b in v])

        if "W7" in args.only:
            t = w1.get("tandem") or {}
            packs = [b for b in t.get("pack_bytes", []) if b]
            if packs:
                nbytes, what = max(packs), "Tandem's W1 pack"
            elif (w1.get("git") or {}).get("source_bytes"):
                nbytes, what = w1["git"]["source_bytes"], "git's packed W1 repository (no Tandem figure)"
            else:
                nbytes, what = w1.get("payload_bytes", 50 * 10**6), "W1's JSON"
            r = _attempt(ctx, rows, raw, "W7", "raw HTTP W7", lambda: raw_http.transfer(ctx, nbytes, args.runs))
            rows.add("W7", "throughput (MB/s)", "raw HTTP + SHA-256",
                     [nbytes / 1e6 / s for s in (r or {}).get("seconds", [])],
                     note=f"{nbytes / 1e6:.1f} MB", tandem=False)
            rows.notes.append(f"W7 sends {nbytes:,} bytes, the size of {what}.")
            if packs:
                rows.add("W7", "throughput (MB/s)", "Tandem W1",
                         [b / 1e6 / s for b, s in zip(t["pack_bytes"], t["seconds"]) if b],
                         note="pack bytes / time")

        if want & {"W3", "W4"} and "tandem" in avail:
            size_max = max(max(sizes["w3_sizes"]) if "W3" in want else 1, sizes["w4"] if "W4" in want else 1)
            rounds = args.runs * (len(sizes["w3_sizes"]) + 1)
            lw = workloads.LatencyWorkload(args.seed, 100, sizes["w3_commits"], rounds, size_max - 1)
            ctx.log(f"W3/W4: a source of {size_max:,} resources, {sizes['w3_commits']} measured commits per run")
            fleet = _attempt(ctx, rows, raw, "fleet", "Tandem W3/W4 source",
                             lambda: tandem_peer.Fleet(ctx, lw))
            if fleet:
                try:
                    if "W3" in want:
                        r = _attempt(ctx, rows, raw, "W3", "Tandem W3",
                                     lambda: tandem_peer.latency(ctx, fleet, sizes["w3_sizes"], args.runs))
                        _latency_rows(rows, r, sizes["w3_sizes"])
                    if "W4" in want:
                        r = _attempt(ctx, rows, raw, "W4", "Tandem W4",
                                     lambda: tandem_peer.idle(ctx, fleet, sizes["w4"], args.runs))
                        if r:
                            label = "Tandem"
                            rows.add("W4", "idle run (ms)", label, [s * 1e3 for s in r["seconds"]],
                                     note=f"{r['resources']:,} resources")
                            rows.add("W4", "bytes on the wire (KB)", label, [b / 1024 for b in r["bytes"]])
                finally:
                    fleet.close()
            if "W3" in want and "git" in avail:
                r = _attempt(ctx, rows, raw, "W3-git", "git W3",
                             lambda: git_peer.latency(ctx, lw, [b for b in lw.batches[: args.runs]]))
                if r:
                    for m, pct in (("p50 (ms)", 50), ("p90 (ms)", 90), ("p99 (ms)", 99), ("max (ms)", 100)):
                        rows.add("W3", m, "git push + hook fetch", [percentile(l, pct) * 1e3 for l in r])
        elif want & {"W3", "W4"}:
            rows.notes.append("W3/W4 need Tandem, which is not available")

        if "W6" in want and "tandem" in avail:
            wl = workloads.w6(args.seed, args.w6_bytes)
            ctx.log(f"W6: {wl.note}; {wl.payload_bytes / 1e9:.2f} GB of JSON")
            r = _attempt(ctx, rows, raw, "W6", "Tandem W6", lambda: tandem_peer.first_sync(ctx, wl, 1))
            del wl
            if r:
                rows.add("W6", "first sync (s)", "Tandem", r["seconds"])
                rows.add("W6", "peak RSS source (MB)", "Tandem", r["source_rss_mb"])
                rows.add("W6", "peak RSS target (MB)", "Tandem", r["target_rss_mb"])
    finally:
        ctx.children.stop_all()
        meta["load_end"] = loadavg()
        meta["elapsed"] = time.monotonic() - ctx.t0
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(text_table(rows.table()))
    for n in rows.notes:
        print("note:", n)
    print(f"load average {meta['load_start']:.2f} at start, {meta['load_end']:.2f} at end; "
          f"{meta['elapsed']:.0f} s in all")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "raw": raw, "rows": rows.rows, "notes": rows.notes}, f, indent=1,
                      default=str)
    if not args.no_write:
        write_doc(args.doc, section_body(meta, rows))
        ctx.log(f"wrote the table into {args.doc}")
    failed = any(isinstance(v, dict) and "error" in v for v in _walk(raw))
    return 1 if failed else 0


def _walk(d):
    for v in d.values():
        yield v
        if isinstance(v, dict):
            yield from _walk(v)


def _latency_rows(rows, r, sizes):
    if not r:
        return
    for key, lat in r.items():
        label = "Tandem, " + (key.replace("1000", "1,000") if key != "two hops" else "two hops A→B→C")
        for m, pct in (("p50 (ms)", 50), ("p90 (ms)", 90), ("p99 (ms)", 99), ("max (ms)", 100)):
            rows.add("W3", m, label, [percentile(l, pct) * 1e3 for l in lat])


def render(args):
    """The table of an earlier run, from its --json file (e.g. after a change of format)."""
    with open(args.render_json) as f:
        saved = json.load(f)
    rows = Rows()
    rows.rows, rows.notes = saved["rows"], saved["notes"]
    print(text_table(rows.table()))
    if not args.no_write:
        write_doc(args.doc, section_body(saved["meta"], rows))
        print(f"wrote the table into {args.doc}", file=sys.stderr)
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.render_json:
        return render(args)

    def on_term(_sig, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("sync-bench: interrupted; every child process was stopped", file=sys.stderr)
        return 130
