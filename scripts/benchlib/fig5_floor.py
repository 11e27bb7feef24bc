"""Figure 5: the in-process floor (pontoon-bench-floor doing an ADD's and a DEL's kernel work in a
loop) beside one pontoon CNI ADD broken into phases from its debug timing line."""
import json, os

from .hosts import setns
from .measure import settle, summary
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
    log_file = os.path.join(pontoon.dir, "debug.log")
    phases, totals = {}, []
    for _ in range(runs):
        setns(pontoon.host)
        cid, n, ip = pontoon.new_container()
        netns = pontoon.ns.make("c")
        open(log_file, "w").close()
        settle()
        add_runs, state, _ = pontoon.add(cid, netns, n, ip, {"PONTOON_LOG_LEVEL": "debug", "PONTOON_LOG_FILE": log_file})
        pontoon.attached[cid] = (netns, state)
        pontoon.detach(cid)
        line = next((l for l in open(log_file) if " timing " in l), None)
        if line is None:
            raise Failed("pontoon wrote no timing line to its debug log")
        fields = dict(f.split("=") for f in line.split(" timing ")[1].split())
        phases.setdefault("exec to main", []).append((int(fields.pop("main")) - add_runs[0].spawned_ns) / 1e6)
        for key, value in fields.items():
            phases.setdefault(key, []).append(float(value))
        totals.append(add_runs[0].ms)
    setns(home)
    progress("breakdown measured")
    return {"floor": {"add": summary(floor["add_ms"]), "del": summary(floor["del_ms"]), "iterations": iterations},
            "pontoon_add_phases_ms": {k: summary(v) for k, v in phases.items()},
            "pontoon_add_total_debug_log_on": summary(totals)}
