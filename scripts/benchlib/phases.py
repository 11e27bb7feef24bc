"""One pontoon ADD broken into phases from its debug timing line (`timing main=<ns> <phase>=<ms>
…`, written at PONTOON_LOG_LEVEL=debug), with the process's CPU time beside its wall time: what
is not CPU is waiting (for the rtnl lock, RCU grace periods, the CPU itself). The CPU time is
user and system together: the kernel's tick-based accounting splits a 5 ms process between the
two by sampling, which is noise at this size, while the sum is exact. Figure 5 takes it on a
one-container host, figure 2 at its smallest and largest sizes, through both doors."""
import os

from .hosts import setns
from .measure import settle, summary
from .process import Failed


def add_with_phases(contender):
    """A timed ADD of a fresh container with the debug log on, then its DEL (untimed): the phases
    (ms) with "exec to main" (spawn to main's first instruction), and the whole call's wall and
    CPU time."""
    setns(contender.host)
    log_file = os.path.join(contender.dir, "debug.log")
    open(log_file, "w").close()
    cid, n, ip = contender.new_container()
    netns = contender.ns.make("c")
    settle()
    runs, state, _ = contender.add(cid, netns, n, ip, {"PONTOON_LOG_LEVEL": "debug", "PONTOON_LOG_FILE": log_file})
    with contender.lock:
        contender.attached[cid] = (netns, state)
    settle()
    contender.detach(cid)
    line = next((l for l in open(log_file) if " timing " in l), None)
    if line is None:
        raise Failed(f"{contender.name} wrote no timing line to its debug log")
    fields = dict(f.split("=") for f in line.split(" timing ")[1].split())
    phases = {"exec to main": (int(fields.pop("main")) - runs[0].spawned_ns) / 1e6}
    phases.update((key, float(value)) for key, value in fields.items())
    return phases, {"wall": runs[0].ms, "cpu": runs[0].user_ms + runs[0].sys_ms}


def phase_summary(contender, runs):
    """Medians over `runs` ADDs: {"phases_ms": {phase: summary}, "wall_ms"/"cpu_ms": summary}."""
    phases, whole = {}, {}
    for _ in range(runs):
        p, w = add_with_phases(contender)
        for key, value in p.items():
            phases.setdefault(key, []).append(value)
        for key, value in w.items():
            whole.setdefault(key, []).append(value)
    return dict({"phases_ms": {k: summary(v) for k, v in phases.items()}},
                **{f"{k}_ms": summary(v) for k, v in whole.items()})
