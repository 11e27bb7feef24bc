"""Figure 5: the in-process floor (pontoon-bench-floor doing an ADD's and a DEL's kernel work in a
loop) beside one pontoon CNI ADD broken into phases from its debug timing line."""
import json

from .hosts import setns
from .measure import summary
from .phases import phase_summary
from .process import BASE_ENV, Failed, spawn


def figure_floor(pontoon, floor_binary, iterations, runs, home, progress):
    setns(pontoon.host)
    netns = pontoon.ns.make("floor")
    run = spawn([floor_binary, netns, str(iterations)], dict(BASE_ENV))
    pontoon.ns.remove(netns)
    if run.status != 0:
        raise Failed(f"floor exited {run.status}: {run.stdout[:300]}")
    floor = json.loads(run.stdout)
    progress("floor measured")
    breakdown = phase_summary(pontoon, runs)
    setns(home)
    progress("breakdown measured")
    return {"floor": {"add": summary(floor["add_ms"]), "del": summary(floor["del_ms"]), "iterations": iterations},
            "pontoon_add_phases_ms": breakdown["phases_ms"],
            "pontoon_add_total_debug_log_on": breakdown["wall_ms"],
            "pontoon_add_cpu_ms": breakdown["cpu_ms"]}
