"""Figure 3: attachments per second from 1, 4 and 16 concurrent callers, and what a full DEL of
them left behind (duplicate addresses, links, leases, rule lines, DELs that failed twice)."""
import time

from .hosts import detach_all, host_leftovers, in_parallel, setns
from .measure import quiesce


def figure_concurrency(contenders, levels, per_level, home, progress):
    result = {c.name: {} for c in contenders}
    for callers in levels:
        for c in contenders:
            setns(home)
            jobs = [c.new_container() + (c.ns.make("c"),) for _ in range(per_level)]
            addresses, ports, clock = [], [], {}

            def attach(job):
                cid, n, ip, netns = job
                _, state, address = c.add(cid, netns, n, ip)
                with c.lock:
                    c.attached[cid] = (netns, state)
                    addresses.append(address)

            def ready():
                # The previous run's DELs leave seconds of namespace teardown to kernel workers: a
                # run of 48 fast ADDs timed meanwhile measures that, not the contender.
                quiesce(progress, limit=30)
                clock["start"] = time.monotonic()

            failed = in_parallel(c, jobs, callers, attach, ready)
            elapsed = time.monotonic() - clock["start"]
            errors = [str(error)[:300] for _, error in failed]
            for _, n, _, _ in jobs:
                ports += [p["hostPort"] for p in c.ports(n)]
            del_errors = detach_all(c)
            leftovers = host_leftovers(c, addresses, ports)
            setns(home)
            result[c.name][str(callers)] = dict(
                attachments_per_s=round(len(addresses) / elapsed, 1), attachments=len(addresses),
                failures=len(errors), first_failure=errors[0] if errors else None,
                failed_dels=len(del_errors), first_failed_del=del_errors[0] if del_errors else None,
                duplicate_addresses=len(addresses) - len(set(addresses)), **leftovers)
            progress(f"{c.name}, {callers} callers: {result[c.name][str(callers)]['attachments_per_s']}/s")
    return result
