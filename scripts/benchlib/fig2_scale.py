"""Figure 2: ADD and DEL of one more container as the host grows (filled unmeasured first)."""
from .hosts import fill, setns
from .measure import add_then_del, rotated, summary


def figure_scale(contenders, sizes, runs, home, progress, cap=None):
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
        samples = {c.name: {"add": [], "del": []} for c in measured}
        for r in range(runs):
            for c in rotated(measured, r):
                add_ms, del_ms = add_then_del(c)
                samples[c.name]["add"].append(add_ms)
                samples[c.name]["del"].append(del_ms)
            setns(home)
        for c in measured:
            result[c.name][str(size)] = dict({k: summary(v) for k, v in samples[c.name].items()}, attached=attached[c.name])
        progress(f"{size} attached measured")
    return result
