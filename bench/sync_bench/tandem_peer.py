"""Tandem's side of each workload: first synchronization (W1, W2, W6), commit to
visible (W3) and the idle run (W4), between tandem-server processes on 127.0.0.1."""

import os
import shutil
import time

from . import procs
from .proxy import CountingProxy
from .report import percentile
from .tandem import (Server, add_reader, commit, create_config, create_project, populate,
                     sync_now, wait_idle, FeedWatcher)


def _server(ctx, d, name):
    os.makedirs(os.path.join(d, name), exist_ok=True)
    return Server(ctx.children, ctx.server_bin, os.path.join(d, name, "data"), name)


def first_sync(ctx, wl, runs):
    """Populates a source with `wl` (not timed), then times `runs` first
    synchronizations into fresh targets. Returns the raw figures."""
    d = ctx.mkdir(f"tandem-{wl.name}")
    src = _server(ctx, d, "source").start()
    c = src.client()
    add_reader(c)
    t0 = time.perf_counter()
    project, ids = populate(c, wl.name, wl.commits)
    populate_s = time.perf_counter() - t0
    c.close()
    ctx.log(f"  tandem: source populated with {len(ids):,} commits in {populate_s:.1f} s")
    # Restart the source: its size on disk after the checkpoint (W8), and a peak
    # RSS that counts serving the synchronization only, not the populating.
    src.stop()
    out = {"populate_seconds": populate_s, "source_bytes": procs.du_bytes(src.data_dir),
           "commits": len(ids), "seconds": [], "pack_bytes": [], "source_rss_mb": [],
           "target_rss_mb": [], "target_bytes": []}
    src.start()
    try:
        for i in range(runs):
            tgt = _server(ctx, d, f"target{i}").start()
            tc = tgt.client()
            cfg = create_config(tc, src.url, [project], "manual")
            secs, report = sync_now(tc, cfg)
            if report.get("outcome") != "ok" or report.get("commits") != len(ids):
                raise RuntimeError(f"tandem {wl.name}: run report says {report.get('outcome')} with "
                                   f"{report.get('commits')} commits, expected ok with {len(ids)}: "
                                   f"{str(report)[:800]}")
            newest = tc.request("GET", f"/api/v1/resources/{project}/commits?page[size]=1")
            if not newest or newest[0]["id"] != ids[-1]:
                raise RuntimeError(f"tandem {wl.name}: the target's newest commit is not the source's")
            out["seconds"].append(secs)
            out["pack_bytes"].append(report.get("bytes"))
            out["target_rss_mb"].append(tgt.peak_rss_mb())
            out["source_rss_mb"].append(src.peak_rss_mb())
            tc.close()
            tgt.stop()
            out["target_bytes"].append(procs.du_bytes(tgt.data_dir))
            ctx.log(f"  tandem {wl.name} run {i + 1}: {secs:.2f} s, {report.get('bytes', 0) / 1e6:.1f} MB "
                    f"pack, RSS source {out['source_rss_mb'][-1]:.0f} MB target "
                    f"{out['target_rss_mb'][-1]:.0f} MB")
            if not ctx.keep:
                shutil.rmtree(os.path.dirname(tgt.data_dir), ignore_errors=True)
    finally:
        src.stop()
    return out


class Fleet:
    """The W3/W4 source: the measured resource plus `others` small resources."""

    def __init__(self, ctx, lw):
        self.ctx = ctx
        self.lw = lw
        self.dir = ctx.mkdir("tandem-W3")
        self.source = _server(ctx, self.dir, "A").start()
        self.client = self.source.client()
        add_reader(self.client)
        t0 = time.perf_counter()
        self.measured = create_project(self.client, "measured")
        self.head = commit(self.client, self.measured, lw.initial, None)
        self.others = []
        for i, changes in enumerate(lw.others):
            p = create_project(self.client, f"other{i}")
            commit(self.client, p, changes, None)
            self.others.append(p)
        self.batches = iter(lw.batches)
        self.serial = 0
        ctx.log(f"  tandem: source with {1 + len(self.others):,} resources in "
                f"{time.perf_counter() - t0:.1f} s")

    def resources(self, size):
        return [self.measured] + self.others[: size - 1]

    def new_target(self, name):
        self.serial += 1
        t = _server(self.ctx, self.dir, f"{name}-{self.serial}").start()
        return t, t.client()

    def measure(self, target_client):
        """One batch of commits at the source, each timed until the target has it."""
        watcher = FeedWatcher(target_client)
        lat = []
        for changes in next(self.batches):
            t0 = time.perf_counter()
            self.head = commit(self.client, self.measured, changes, self.head)
            lat.append(watcher.wait_commit(self.head) - t0)
        return lat

    def close(self):
        self.client.close()
        self.source.stop()


def latency(ctx, fleet, sizes, runs, hops=True):
    """W3: {"1 resource": [[seconds, ...] per run], ..., "two hops": [...]}."""
    out = {}
    for size in sizes:
        key = f"{size} resource" + ("s" if size > 1 else "")
        out[key] = []
        for run in range(runs):
            b, bc = fleet.new_target("B")
            cfg = create_config(bc, fleet.source.url, fleet.resources(size), "commit")
            wait_idle(bc, cfg)
            out[key].append(fleet.measure(bc))
            ctx.log(f"  tandem W3 {key} run {run + 1}: p50 {percentile(out[key][-1], 50) * 1e3:.1f} ms")
            if hops and size == sizes[0]:
                add_reader(bc)
                c, cc = fleet.new_target("C")
                cfg2 = create_config(cc, b.url, [fleet.measured], "commit")
                wait_idle(cc, cfg2)
                out.setdefault("two hops", []).append(fleet.measure(cc))
                ctx.log(f"  tandem W3 two hops run {run + 1}: p50 "
                        f"{percentile(out['two hops'][-1], 50) * 1e3:.1f} ms")
                cc.close()
                c.stop()
            bc.close()
            b.stop()
    return out


def idle(ctx, fleet, size, runs):
    """W4: wall time and bytes on the wire of runs with nothing new."""
    proxy = CountingProxy(fleet.source.port)
    t, tc = fleet.new_target("idle")
    out = {"resources": size, "seconds": [], "bytes": [], "connections": []}
    try:
        cfg = create_config(tc, f"http://127.0.0.1:{proxy.port}", fleet.resources(size), "manual")
        first_s, report = sync_now(tc, cfg)
        if report.get("outcome") != "ok":
            raise RuntimeError(f"tandem W4: first run: {str(report)[:800]}")
        out["first_run_seconds"] = first_s
        for _ in range(runs):
            proxy.reset()
            secs, report = sync_now(tc, cfg)
            if report.get("outcome") != "ok" or report.get("commits") != 0:
                raise RuntimeError(f"tandem W4: an idle run copied something: {str(report)[:800]}")
            up, down, conns = proxy.counts()
            out["seconds"].append(secs)
            out["bytes"].append(up + down)
            out["connections"].append(conns)
        ctx.log(f"  tandem W4 {size} resources: {min(out['seconds']) * 1e3:.1f} ms, "
                f"{min(out['bytes']):,} bytes")
    finally:
        tc.close()
        t.stop()
        proxy.close()
    return out

