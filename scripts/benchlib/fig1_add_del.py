"""Figure 1: ADD, DEL and the ADD+DEL cycle of one container on an otherwise empty host."""
from .hosts import setns
from .measure import add_then_del, rotated, summary


def figure_add_del(contenders, runs, home, progress):
    samples = {c.name: {"add": [], "del": [], "cycle": []} for c in contenders}
    for r in range(runs):
        for c in rotated(contenders, r):
            add_ms, del_ms = add_then_del(c)
            s = samples[c.name]
            s["add"].append(add_ms)
            s["del"].append(del_ms)
            s["cycle"].append(add_ms + del_ms)
        setns(home)
        progress(f"ADD/DEL run {r + 1}/{runs}")
    return {name: {k: summary(v) for k, v in s.items()} for name, s in samples.items()}
