"""How a timed call is taken: the pauses that keep one contender's aftermath off the next one's
clock, the interleaving of contenders, and the summary (median, p95) of the samples."""
import os, statistics, time

from .hosts import setns

SETTLE = float(os.environ.get("BENCH_SETTLE", "0.05"))


def summary(values):
    values = sorted(values)
    if not values:
        return None
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return {"median": round(statistics.median(values), 3), "p95": round(p95, 3), "n": len(values)}


def total_ms(runs):
    return sum(r.ms for r in runs)


def settle():
    """Before each timed call: a DEL's namespace and veth teardown goes on in kernel workers after
    the process has exited (~20 ms of CPU on this machine). Without a pause it would be charged to
    whichever contender is timed next, and weigh most on the fastest. BENCH_SETTLE seconds."""
    time.sleep(SETTLE)


def cpu_idle_fraction(interval):
    def sample():
        fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)   # idle + iowait, all
    idle0, all0 = sample()
    time.sleep(interval)
    idle1, all1 = sample()
    return (idle1 - idle0) / max(1, all1 - all0)


def quiesce(progress, limit=60):
    """Wait (up to `limit` s) until the CPUs are 90% idle, so the kernel's teardown of what came
    before (namespaces by the thousand after a scale run) is over: before each figure, and before
    each timed run of concurrent callers."""
    deadline = time.time() + limit
    while cpu_idle_fraction(0.5) < 0.9 and time.time() < deadline:
        progress("waiting for the machine to settle")


def rotated(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def add_then_del(contender, cpu=None):
    """One timed ADD of a fresh container in the contender's host, then its timed DEL: (ms, ms).
    `cpu`, a dict of lists, gets the ADD's CPU time, user and system (all its processes)."""
    setns(contender.host)
    settle()
    add_runs, _, cid = contender.attach()
    settle()
    del_runs = contender.detach(cid)
    if cpu is not None:
        cpu.setdefault("add", []).append(sum(r.user_ms + r.sys_ms for r in add_runs))
    return total_ms(add_runs), total_ms(del_runs)
