"""Figure 4: start-up (VERSION, spawn to reap, beside /bin/true) and the peak memory of a VERSION
and of an ADD."""
from .hosts import setns
from .measure import rotated, summary
from .process import BASE_ENV, Failed, peak_kib, spawn


def figure_startup(contenders, runs, peak_runs, home, progress):
    calls = [(c.name, c.version_call()) for c in contenders]
    calls.append(("/bin/true (spawn floor)", (["/bin/true"], dict(BASE_ENV), b"")))
    samples = {name: [] for name, _ in calls}
    for r in range(runs):
        for name, call in rotated(calls, r):
            run = spawn(*call)
            if run.status != 0:
                raise Failed(f"{name} VERSION exited {run.status}")
            samples[name].append(run.ms)
        if (r + 1) % max(1, runs // 4) == 0:
            progress(f"VERSION run {r + 1}/{runs}")
    result = {name: {"version_ms": summary(v)} for name, v in samples.items()}
    for name, call in calls:
        result[name]["version_peak_kib"] = max(peak_kib(*call)[1] or 0 for _ in range(3))
    for c in contenders:
        peaks = []
        for _ in range(peak_runs):
            setns(c.host)
            cid, n, ip = c.new_container()
            netns = c.ns.make("c")
            peak, state = c.add_peak(cid, netns, n, ip)
            c.attached[cid] = (netns, state)
            c.detach(cid)
            peaks.append(peak)
        setns(home)
        result[c.name]["add_peak_kib"] = max(peaks)
    progress("peak memory measured")
    return result
