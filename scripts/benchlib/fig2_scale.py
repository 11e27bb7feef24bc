"""Figure 2: ADD and DEL of one more container as the host grows (filled unmeasured first). For
pontoon's two doors, at the smallest and the largest size, one ADD broken into phases (its debug
timing line) with its CPU time: what grows with the host, ours or the kernel's."""
from .hosts import fill, setns
from .measure import add_then_del, quiesce, rotated, summary
from .names import PONTOON_CNI, PONTOON_NV
from .phases import phase_summary


def figure_scale(contenders, sizes, runs, home, progress, cap=None, phase_runs=5):
    """`cap(c)`: the largest size contender c is filled to (the reference chain and netavark take
    about 9 minutes each to reach 1,000 on 2 cores, so the default run stops them at 100)."""
    result = {c.name: {} for c in contenders}
    for size in sizes:
        attached = {}
        measured = [c for c in contenders if cap is None or size <= cap(c)]
        for c in measured:
            progress(f"filling {c.name} to {size} attached")
            fill(c, size)
            attached[c.name] = len(c.attached)
        setns(home)
        # Each new container's own IPv6 start-up (MLD reports, router solicitations) goes on for
        # seconds, each a flood to every port: after filling 1,000 that is millions of deliveries
        # in the kernel, which would be charged to whatever is timed next.
        quiesce(progress, limit=30)
        samples = {c.name: {"add": [], "del": []} for c in measured}
        cpu = {c.name: {} for c in measured}
        for r in range(runs):
            for c in rotated(measured, r):
                add_ms, del_ms = add_then_del(c, cpu[c.name])
                samples[c.name]["add"].append(add_ms)
                samples[c.name]["del"].append(del_ms)
            setns(home)
        breakdown = {}
        if size in (min(sizes), max(sizes)):
            breakdown = {c.name: phase_summary(c, phase_runs) for c in measured if c.name in (PONTOON_CNI, PONTOON_NV)}
            setns(home)
        for c in measured:
            entry = dict({k: summary(v) for k, v in samples[c.name].items()}, attached=attached[c.name])
            entry.update({f"{k}_cpu_ms": summary(v) for k, v in cpu[c.name].items()})
            if c.name in breakdown:
                entry["add_breakdown"] = breakdown[c.name]
            result[c.name][str(size)] = entry
        progress(f"{size} attached measured")
    return result
