"""The five charts, bench/fig{1..5}-*.png, drawn from the figures' results alone."""
import os

from .names import BASELINE, NETAVARK, PONTOON_CNI, PONTOON_NV, REFERENCE

COLORS = {PONTOON_CNI: "#1f77b4", PONTOON_NV: "#17becf", REFERENCE: "#d62728", NETAVARK: "#ff7f0e",
          BASELINE: "#aec7e8"}


def grouped_bars(ax, names, groups, value, err=None):
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [x + i * width for x in range(len(groups))]
        values = [value(name, g) for g in groups]
        ax.bar(xs, values, width, label=name, color=COLORS.get(name, "#777"))
        if err:
            tops = [err(name, g) for g in groups]
            ax.errorbar(xs, values, yerr=[[0] * len(values), [t - v for t, v in zip(tops, values)]],
                        fmt="none", ecolor="black", capsize=3)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(groups))])


def charts(results, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(out, name + ".png"), dpi=100)
        plt.close(fig)

    f1 = results["fig1-add-del"]
    names = list(f1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    grouped_bars(ax, names, ["add", "del", "cycle"], lambda n, k: f1[n][k]["median"], lambda n, k: f1[n][k]["p95"])
    ax.set_xticklabels(["ADD", "DEL", "ADD+DEL"])
    ax.set_ylabel("ms (bar: median, whisker: p95)")
    ax.set_title("Figure 1: one attachment, masquerade + 2 port mappings (tcp, udp)", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, "fig1-add-del")

    # Figure 1 alone may hold a baseline (--baseline): the other charts name their own contenders.
    f2 = results["fig2-scale"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, op in zip(axes, ("add", "del")):
        for name in f2:
            sizes = sorted(f2[name], key=int)
            ax.plot([int(s) for s in sizes], [f2[name][s][op]["median"] for s in sizes], "o-", label=name, color=COLORS[name])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("containers already attached")
        ax.set_ylabel("ms (median)")
        ax.set_title(f"Figure 2: {op.upper()} as the host grows", fontsize=10)
    axes[0].legend(fontsize=8)
    save(fig, "fig2-scale")

    f3 = results["fig3-concurrency"]
    names = list(f3)
    levels = sorted(f3[names[0]], key=int)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    grouped_bars(ax, names, levels, lambda n, l: f3[n][l]["attachments_per_s"])
    ax.set_xticklabels([f"{l} callers" for l in levels])
    ax.set_ylabel("attachments per second (ADD)")
    ax.set_title("Figure 3: concurrent callers", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, "fig3-concurrency")

    f4 = results["fig4-startup"]
    snames = list(f4)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    axes[0].barh(snames, [f4[n]["version_ms"]["median"] for n in snames], color=[COLORS.get(n, "#777") for n in snames])
    axes[0].set_xlabel("VERSION, ms (median, spawn to reap)")
    axes[0].set_title("Figure 4: start-up", fontsize=10)
    mem = [n for n in snames if "add_peak_kib" in f4[n]]
    axes[1].barh(mem, [f4[n]["add_peak_kib"] / 1024 for n in mem], color=[COLORS[n] for n in mem])
    axes[1].set_xlabel("peak RSS of one ADD call, MiB (chain: its largest plugin)")
    axes[1].set_title("peak memory per call", fontsize=10)
    save(fig, "fig4-startup")

    f5 = results["fig5-floor"]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    left = 0
    for i, (phase, s) in enumerate(f5["pontoon_add_phases_ms"].items()):
        ax.barh(["pontoon CNI ADD\n(debug log on)"], [s["median"]], left=left, label=phase, color=plt.cm.tab10(i % 10))
        left += s["median"]
    ax.barh(["floor ADD\n(in-process)"], [f5["floor"]["add"]["median"]], color="#333")
    ax.barh(["floor DEL\n(in-process)"], [f5["floor"]["del"]["median"]], color="#bbb", hatch="//")
    ax.set_xlabel("ms (medians)")
    ax.set_title("Figure 5: the in-process floor and one pontoon ADD's phases", fontsize=10)
    ax.legend(fontsize=7, ncol=8, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    save(fig, "fig5-floor")
