"""The report: the results as tables (printed, and in the README's marked block)."""
from .names import BASELINE, FIGURES, PONTOON_CNI, PONTOON_NV, REFERENCE
from .process import log

README_BEGIN, README_END = "<!-- bench:begin (written by scripts/bench) -->", "<!-- bench:end -->"


def ratio(ref, value):
    return f"{ref / value:.1f}×" if ref and value else "-"


def table(results):
    f1, f2, f3, f4, f5 = (results[k] for k in FIGURES)
    ref = f1[REFERENCE]
    lines = ["| contender | ADD median / p95 | DEL median / p95 | ADD+DEL median / p95 | ADD vs reference | DEL vs reference | ADD+DEL vs reference |",
             "|---|---|---|---|---|---|---|"]
    for name, s in f1.items():
        lines.append(f"| {name} | {s['add']['median']:.1f} / {s['add']['p95']:.1f} ms | {s['del']['median']:.1f} / {s['del']['p95']:.1f} ms | "
                     f"{s['cycle']['median']:.1f} / {s['cycle']['p95']:.1f} ms | {ratio(ref['add']['median'], s['add']['median'])} | "
                     f"{ratio(ref['del']['median'], s['del']['median'])} | {ratio(ref['cycle']['median'], s['cycle']['median'])} |")
    sizes = sorted(next(iter(f2.values())), key=int)
    lines += ["", "| contender (median ms) | " + " | ".join(f"ADD @{s}" for s in sizes) + " | " + " | ".join(f"DEL @{s}" for s in sizes) + " |",
              "|---|" + "---|" * (2 * len(sizes))]
    def scale_cell(s, z, op):
        if z not in s:
            return "not run (`--full`)"
        if z not in f2[REFERENCE]:
            return f"{s[z][op]['median']:.1f}"
        return f"{s[z][op]['median']:.1f} ({ratio(f2[REFERENCE][z][op]['median'], s[z][op]['median'])})"
    for name, s in f2.items():
        lines.append(f"| {name} | " + " | ".join(scale_cell(s, z, "add") for z in sizes)
                     + " | " + " | ".join(scale_cell(s, z, "del") for z in sizes) + " |")
    lines += scale_breakdown(f2, sizes)
    levels = sorted(next(iter(f3.values())), key=int)
    lines += ["", "| contender | " + " | ".join(f"{l} callers: ADD/s (duplicates, leftovers)" for l in levels) + " |",
              "|---|" + "---|" * len(levels)]
    for name, s in f3.items():
        cells = []
        for l in levels:
            x = s[l]
            left = x["leftover_links"] + x["leftover_leases"] + x["leftover_rule_lines"]
            if x["failed_dels"]:
                left = f"{left}, {x['failed_dels']} DELs failed"
            cells.append(f"{x['attachments_per_s']} ({ratio(x['attachments_per_s'], f3[REFERENCE][l]['attachments_per_s']) if name != REFERENCE else '1.0×'}; {x['duplicate_addresses']}, {left})"
                         + (f", {x['failures']} failed" if x["failures"] else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| contender | VERSION median / p95 | VERSION peak RSS | ADD peak RSS |", "|---|---|---|---|"]
    for name, s in f4.items():
        add_peak = f"{s['add_peak_kib'] / 1024:.1f} MiB" if "add_peak_kib" in s else "-"
        lines.append(f"| {name} | {s['version_ms']['median']:.2f} / {s['version_ms']['p95']:.2f} ms | {s['version_peak_kib'] / 1024:.1f} MiB | {add_peak} |")
    lines += ["", "| pontoon CNI ADD phase (debug timing log) | median ms |", "|---|---|"]
    for phase, s in f5["pontoon_add_phases_ms"].items():
        lines.append(f"| {phase} | {s['median']:.3f} |")
    lines.append(f"| whole ADD, spawn to reap (debug log on) | {f5['pontoon_add_total_debug_log_on']['median']:.3f} |")
    lines.append(f"| in-process floor: ADD / DEL | {f5['floor']['add']['median']:.3f} / {f5['floor']['del']['median']:.3f} |")
    return "\n".join(lines)


def scale_breakdown(f2, sizes):
    """Pontoon's ADD at the smallest and largest size, phase by phase (debug timing line), with the
    process's wall and CPU time: what grows with the host. Ours: exec to main, decode, namespaces,
    ipam, record, answer (user space and file work); the kernel's: veth, container, port,
    announce, forwarding, firewall (netlink requests)."""
    small, big = sizes[0], sizes[-1]
    doors = [(name, z) for name in (PONTOON_CNI, PONTOON_NV) for z in (small, big)
             if "add_breakdown" in f2.get(name, {}).get(z, {})]
    if not doors:
        return []
    lines = ["", f"| pontoon ADD, phase by phase (debug timing log, medians ms) | "
             + " | ".join(f"{name} @{z}" for name, z in doors) + " |", "|---|" + "---|" * len(doors)]
    phases = list(dict.fromkeys(k for name, z in doors for k in f2[name][z]["add_breakdown"]["phases_ms"]))
    for phase in phases:
        cells = [f2[name][z]["add_breakdown"]["phases_ms"].get(phase) for name, z in doors]
        lines.append(f"| {phase} | " + " | ".join(f"{c['median']:.3f}" if c else "-" for c in cells) + " |")
    for label, key in (("whole ADD, spawn to reap (debug log on)", "wall_ms"),
                       ("its CPU time, user + system (the rest is waiting)", "cpu_ms")):
        lines.append(f"| {label} | " + " | ".join(f"{f2[name][z]['add_breakdown'][key]['median']:.3f}" for name, z in doors) + " |")
    return lines


def beside_baseline(f1):
    """A refactor's check: this build against an older one (--baseline), both through CNI."""
    if BASELINE not in f1:
        return []
    now, then = f1[PONTOON_CNI], f1[BASELINE]
    cells = [f"{label} {now[k]['median']:.1f} ms against {then[k]['median']:.1f} ms ({now[k]['median'] / then[k]['median']:.2f}×)"
             for label, k in (("ADD", "add"), ("DEL", "del"), ("ADD+DEL", "cycle"))]
    return ["", f"pontoon CNI against the baseline build (`--baseline`, through CNI), medians: {', '.join(cells)}; "
                "p95 in the first table."]


def readme_block(results, summary_doc):
    lines = [README_BEGIN, "",
             f"Run of {summary_doc['date']} ({summary_doc['mode']} mode, {summary_doc['seconds']} s) on {summary_doc['machine']}.",
             "Medians (p95 where shown) in milliseconds; \"vs reference\" is how many times faster than the reference chain.",
             "", table(results), "",
             f"DEL: pontoon CNI {results['fig1-add-del'][PONTOON_CNI]['del']['median']:.1f} ms against "
             f"{results['fig5-floor']['floor']['del']['median']:.1f} ms for the floor's DEL (one nft batch and the kernel's veth deletion).",
             *beside_baseline(results["fig1-add-del"]),
             "", "Targets (`bench/summary.json`):", "", "| target | measured | |", "|---|---|---|"]
    for t in summary_doc["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |")
    lines += ["", "![Figure 1](bench/fig1-add-del.png)", "![Figure 2](bench/fig2-scale.png)",
              "![Figure 3](bench/fig3-concurrency.png)", "![Figure 4](bench/fig4-startup.png)",
              "![Figure 5](bench/fig5-floor.png)", "", README_END]
    return "\n".join(lines)


def rewrite_readme(path, block):
    text = open(path).read()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < 0:
        log(f"README has no {README_BEGIN!r} block: not rewritten")
        return
    with open(path, "w") as f:
        f.write(text[:begin] + block + text[end + len(README_END):])
