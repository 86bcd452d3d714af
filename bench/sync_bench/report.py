"""Rows of figures, the printed table, the goals check, and the section of
docs/benchmarks.md between the sync-bench markers."""

import math
import os
import re
import statistics

BEGIN = "<!-- sync-bench:begin -->"
END = "<!-- sync-bench:end -->"
SECTION = "## Synchronization side by side (`bench/sync-bench`)"


def percentile(values, pct):
    """Nearest-rank percentile."""
    s = sorted(values)
    if not s:
        return None
    return s[min(len(s) - 1, max(0, math.ceil(pct / 100.0 * len(s)) - 1))]


# How each measure is printed; a row of any other measure uses "{:.2f}".
FORMATS = {
    "first sync (s)": "{:.2f}", "peak RSS source (MB)": "{:.0f}", "peak RSS target (MB)": "{:.0f}",
    "pack bytes (MB)": "{:.1f}", "p50 (ms)": "{:.1f}", "p90 (ms)": "{:.1f}", "p99 (ms)": "{:.1f}",
    "max (ms)": "{:.1f}", "idle run (ms)": "{:.1f}", "bytes on the wire (KB)": "{:.1f}",
    "throughput (MB/s)": "{:.2f}", "store size (MB)": "{:.1f}",
}


class Rows:
    """Figures grouped by (workload, measure); in each group the first Tandem
    row is the reference the peers' ratio is computed against."""

    def __init__(self):
        self.rows = []
        self.notes = []

    def add(self, workload, measure, system, values, note=None, tandem=None):
        values = [v for v in values if v is not None]
        is_tandem = system.startswith("Tandem") if tandem is None else tandem
        self.rows.append({"workload": workload, "measure": measure, "system": system, "values": values,
                          "tandem": is_tandem, "note": note, "available": True})

    def unavailable(self, workload, measure, system, why):
        self.rows.append({"workload": workload, "measure": measure, "system": system, "values": [],
                          "tandem": False, "note": why, "available": False})

    def median(self, workload, measure, system):
        for r in self.rows:
            if (r["workload"], r["measure"], r["system"]) == (workload, measure, system) and r["values"]:
                return statistics.median(r["values"])
        return None

    def table(self):
        """[(workload, measure, system, median, spread, runs, ratio)] as strings."""
        out = []
        ref = {}
        for r in self.rows:
            key = (r["workload"], r["measure"])
            if r["tandem"] and r["values"] and key not in ref:
                ref[key] = statistics.median(r["values"])
        order = {}
        for r in self.rows:
            order.setdefault((r["workload"], r["measure"]), len(order))
        ordered = sorted(self.rows, key=lambda r: (r["workload"], order[(r["workload"], r["measure"])]))
        for r in ordered:
            key = (r["workload"], r["measure"])
            if not r["available"]:
                out.append((r["workload"], r["measure"], r["system"], "not available", "", "", ""))
                continue
            if not r["values"]:
                out.append((r["workload"], r["measure"], r["system"], "failed", "", "", ""))
                continue
            f = FORMATS.get(r["measure"], "{:.2f}")
            med = statistics.median(r["values"])
            spread = f"{f.format(min(r['values']))}–{f.format(max(r['values']))}" if len(r["values"]) > 1 else ""
            ratio = ""
            if not r["tandem"] and key in ref and med:
                ratio = f"{ref[key] / med:.3g}"
            system = r["system"] + (f" ({r['note']})" if r["note"] else "")
            out.append((r["workload"], r["measure"], system, f.format(med), spread, str(len(r["values"])), ratio))
        return out


HEADER = ("workload", "measure", "system", "median", "min–max", "runs", "Tandem/peer")


def text_table(rows):
    table = [HEADER] + rows
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = []
    for n, r in enumerate(table):
        lines.append("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header, rows, right_from=3):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i >= right_from else "---" for i in range(len(header))) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


def goals(rows):
    """[(workload, goal, measured, verdict)] for every goal that has figures."""
    out = []

    def check(workload, goal, value, ok, shown):
        if value is None:
            return
        out.append((workload, goal, shown, "met" if ok else "not met"))

    for w in ("W1", "W2"):
        t = rows.median(w, "first sync (s)", "Tandem")
        for peer, limit, goal in (("git clone --mirror", 1.0, "faster than git clone --mirror (ratio < 1.0)"),
                                  ("svnsync", 0.01, "≥ 100× faster than svnsync (ratio ≤ 0.01)"),
                                  ("PouchDB replicate", 1.0, "faster than PouchDB replication (ratio < 1.0)")):
            p = rows.median(w, "first sync (s)", peer)
            if t is not None and p:
                ratio = t / p
                check(w, goal, ratio, ratio < limit if limit == 1.0 else ratio <= limit, f"ratio {ratio:.3g}")
    w3_systems = list(dict.fromkeys(r["system"] for r in rows.rows if r["workload"] == "W3" and r["tandem"]))
    for sys_name in w3_systems:
        p50 = rows.median("W3", "p50 (ms)", sys_name)
        p99 = rows.median("W3", "p99 (ms)", sys_name)
        if p50 is not None and "two hops" in sys_name:
            check("W3", f"{sys_name}: p50 ≤ 100 ms", p50, p50 <= 100, f"{p50:.1f} ms")
        elif p50 is not None:
            check("W3", f"{sys_name}: p50 ≤ 50 ms", p50, p50 <= 50, f"{p50:.1f} ms")
            if p99 is not None:
                check("W3", f"{sys_name}: p99 ≤ 250 ms", p99, p99 <= 250, f"{p99:.1f} ms")
    ms = rows.median("W4", "idle run (ms)", "Tandem")
    check("W4", "idle run ≤ 100 ms", ms, ms is not None and ms <= 100, f"{ms:.1f} ms" if ms else "")
    kb = rows.median("W4", "bytes on the wire (KB)", "Tandem")
    check("W4", "≤ 64 KB on the wire", kb, kb is not None and kb <= 64, f"{kb:.1f} KB" if kb else "")
    for side in ("source", "target"):
        mb = rows.median("W6", f"peak RSS {side} (MB)", "Tandem")
        check("W6", f"peak RSS of the {side} ≤ 150 MB", mb, mb is not None and mb <= 150,
              f"{mb:.0f} MB" if mb else "")
    raw = rows.median("W7", "throughput (MB/s)", "raw HTTP + SHA-256")
    eff = rows.median("W7", "throughput (MB/s)", "Tandem W1")
    if raw and eff:
        check("W7", "W1 throughput ≥ 50 % of raw HTTP + SHA-256", eff / raw, eff / raw >= 0.5,
              f"{100 * eff / raw:.2g} %")
    git = rows.median("W8", "store size (MB)", "git packed")
    for side in ("source", "target"):
        t = rows.median("W8", "store size (MB)", f"Tandem {side}")
        if t is not None and git:
            check("W8", f"Tandem {side} ≤ 2× git's packed repository", t / git, t / git <= 2,
                  f"{t / git:.2f}×")
    return out


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem}


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def section_body(meta, rows):
    """The markdown between the markers."""
    m = meta["machine"]
    lines = [
        f"Measured {meta['date']} on {m['nproc']} CPUs ({m['cpu']}), {m['memory']} of memory; "
        f"1-minute load average {meta['load_start']:.2f} at the start, {meta['load_end']:.2f} at the end. "
        f"Tandem commit `{meta['commit']}`, binaries from `{meta['tandem_bin']}`. "
        f"Mode: {meta['mode']}; the whole run took {meta['elapsed'] / 60:.1f} min.",
        "",
        "```sh",
        meta["command"],
        "```",
        "",
        markdown_table(HEADER, rows.table()),
        "",
    ]
    g = goals(rows)
    if g:
        lines += ["Goals (issue #11), judged on the medians above:", "",
                  markdown_table(("workload", "goal", "measured", "verdict"), g, right_from=2), ""]
    if rows.notes:
        lines += ["Notes from this run:", ""] + [f"- {n}" for n in rows.notes] + [""]
    return "\n".join(lines)


def write_doc(path, body):
    """Replaces the text between the markers (appending the section if absent)."""
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = f"{BEGIN}\n{body}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        if SECTION not in text:
            text = text.rstrip("\n") + f"\n\n{SECTION}\n"
        text = text.rstrip("\n") + f"\n\n{block}\n"
    with open(path, "w") as f:
        f.write(text)
