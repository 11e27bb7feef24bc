"""Figure 6's report, drawn from its results alone: the table (stdout and the README's own marked
block, with the run that produced it), the chart bench/fig6-rootless.png and the targets issue 16
set (in summary.json under "rootless"). A row pontoonctl refused shows "not available: <its error>"
everywhere, never a number."""
import os

from .names import RL_PODMAN_BRIDGE, RL_PONTOON_DEFAULT, ROOTLESS

README_BEGIN, README_END = "<!-- bench-rootless:begin (written by scripts/bench) -->", "<!-- bench-rootless:end -->"
SHORT = {"pontoonctl bridge -p (default)": "pontoonctl default\n(bridge, -p)",
         "pontoonctl bridge -p --port-handler rootlesskit": "pontoonctl bridge\n--port-handler rootlesskit",
         "pontoonctl --network slirp4netns:port_handler=slirp4netns": "pontoonctl --network\nslirp4netns",
         "podman 4.3.1 bridge -p (rootlessport)": "podman bridge\n(rootlessport)",
         "podman 4.3.1 --network slirp4netns (port_handler=rootlesskit, its default)": "podman\nslirp4netns"}


def missing(row):
    """Why a row has no figures: pontoonctl refused it, or it failed while measured."""
    return ("failed: " if row.get("failed") else "not available: ") + row["error"]


def kept(row):
    return f"yes ({', '.join(row['peers_seen'])})" if row["client_address_kept"] else f"no (saw {', '.join(row['peers_seen'])})"


def table(result):
    lines = ["| row | create+rm median / p95 | inbound | outbound | latency median / p95 | client address kept |",
             "|---|---|---|---|---|---|"]
    for name, row in result["rows"].items():
        if not row["available"]:
            lines.append(f"| {name} | {missing(row)} | | | | |")
            continue
        c, l = row["create_rm_ms"], row["latency_ms"]
        lines.append(f"| {name} | {c['median']:.0f} / {c['p95']:.0f} ms | {row['inbound_gbps']:.2f} Gbit/s | "
                     f"{row['outbound_gbps']:.2f} Gbit/s | {l['median']:.3f} / {l['p95']:.3f} ms | {kept(row)} |")
    return "\n".join(lines)


def targets(result):
    """Issue 16's targets for published ports on rootless bridge networks, against rootlessport."""
    rows = result["rows"]
    ours, theirs = rows.get(RL_PONTOON_DEFAULT), rows.get(RL_PODMAN_BRIDGE)
    if not (ours and theirs and ours["available"] and theirs["available"]):
        return []
    inbound = ours["inbound_gbps"] / theirs["inbound_gbps"]
    latency = ours["latency_ms"]["median"] / theirs["latency_ms"]["median"]
    return [{"target": "rootless -p: the container sees the client's own address", "measured": kept(ours),
             "met": ours["client_address_kept"]},
            {"target": "rootless -p: connection latency no worse than podman's rootlessport (median)",
             "measured": f"{ours['latency_ms']['median']:.3f} ms vs {theirs['latency_ms']['median']:.3f} ms ({latency:.2f}×)",
             "met": latency <= 1.0},
            {"target": "rootless -p: inbound throughput ≥ 0.9× podman's rootlessport",
             "measured": f"{ours['inbound_gbps']:.2f} vs {theirs['inbound_gbps']:.2f} Gbit/s ({inbound:.2f}×)",
             "met": inbound >= 0.9}]


def chart(result, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    names = list(rows)
    labels = [SHORT.get(n, n) + ("" if not rows[n]["available"] else
                                 "\n(client address kept)" if rows[n]["client_address_kept"] else "\n(client address lost)")
              for n in names]
    colors = ["#1f77b4" if n.startswith("pontoonctl") else "#ff7f0e" for n in names]
    panels = [("create+rm, ms (bar: median, whisker: p95)", lambda r: r["create_rm_ms"]["median"], lambda r: r["create_rm_ms"]["p95"]),
              ("inbound throughput, Gbit/s (outside → -p)", lambda r: r["inbound_gbps"], None),
              ("outbound throughput, Gbit/s (container → outside)", lambda r: r["outbound_gbps"], None),
              ("new-connection latency, ms (median, p95)", lambda r: r["latency_ms"]["median"], lambda r: r["latency_ms"]["p95"])]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharey=True)
    ys = list(range(len(names)))[::-1]
    for ax, (title, value, top) in zip(axes.flat, panels):
        available = [i for i, n in enumerate(names) if rows[n]["available"]]
        values = [value(rows[names[i]]) for i in available]
        ax.barh([ys[i] for i in available], values, color=[colors[i] for i in available])
        if top:
            tops = [top(rows[names[i]]) for i in available]
            ax.errorbar(values, [ys[i] for i in available], xerr=[[0] * len(values), [t - v for t, v in zip(tops, values)]],
                        fmt="none", ecolor="black", capsize=3)
        for i, n in enumerate(names):
            if not rows[n]["available"]:
                ax.text(0.01, ys[i], wrap(missing(rows[n]), 60), transform=ax.get_yaxis_transform(),
                        va="center", fontsize=6.5, color="#a00")
        ax.set_title(title, fontsize=9)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=7.5)
    run = result.get("run", {})
    fig.suptitle(f"Figure 6: rootless containers, pontoonctl beside podman 4.3.1 ({run.get('mode', '?')} run of {run.get('date', '?')})",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, ROOTLESS + ".png"), dpi=100)
    plt.close(fig)


def wrap(text, width):
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])


def readme_block(result):
    run, counts = result.get("run", {}), result["counts"]
    lines = [README_BEGIN, "",
             f"Run of {run.get('date')} ({run.get('mode')} mode: {counts['create_rm']} create+rm per row, "
             f"{counts['iperf3_seconds']} s iperf3 each way, {counts['requests']} connections) on {run.get('machine')}"
             + (f", pontoonctl and pontoon built from {run['revision']}." if run.get("revision") else "."),
             "", table(result), ""]
    found = targets(result)
    if found:
        lines += ["| target (issue 16) | measured | |", "|---|---|---|"]
        lines += [f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |" for t in found]
        lines.append("")
    lines += ["![Figure 6](bench/fig6-rootless.png)", "", README_END]
    return "\n".join(lines)


def rewrite_readme(path, block):
    text = open(path).read()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < 0:
        return False
    with open(path, "w") as f:
        f.write(text[:begin] + block + text[end + len(README_END):])
    return True
