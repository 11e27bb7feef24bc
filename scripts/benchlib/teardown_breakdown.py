"""netavark mode's DEL broken down (scripts/bench-teardown): pontoon's netavark door against netavark
1.4.0, fed the benchmark's NetworkOptions (bridge pb0, 2 port mappings, no DNS), with the network's
last container (both delete the bridge) and with another container keeping the bridge. One teardown
of each pair is timed untraced; the next runs under `strace -f -T`, which times each syscall: the
kernel's deletion of the veth pair and of the bridge (RTM_DELLINK), the firewall's netlink batches
and socket closes, and the firewall tools netavark runs as child processes. Runs inside a private
network + mount namespace made by the wrapper: nothing reaches the host."""
import json, os, re, shutil, statistics, subprocess, sys, time


def run(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, **kw)


def options(cid, n):
    network = {"name": "benchnet", "id": "b" * 64, "driver": "bridge", "network_interface": "pb0",
               "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}], "ipv6_enabled": False,
               "internal": False, "dns_enabled": False, "ipam_options": {"driver": "host-local"}}
    return json.dumps({"container_id": cid, "container_name": f"c{n}",
                       "port_mappings": [{"host_ip": "", "container_port": 80, "host_port": 20000 + 2 * n, "range": 1, "protocol": "tcp"},
                                         {"host_ip": "", "container_port": 53, "host_port": 20001 + 2 * n, "range": 1, "protocol": "udp"}],
                       "networks": {"benchnet": {"static_ips": [f"10.88.1.{n + 2}"], "aliases": [f"c{n}"], "interface_name": "eth0"}},
                       "network_info": {"benchnet": network}}).encode()


def classify(trace):
    """Milliseconds per kind of call in one strace -f -T -ttt -yy output; child processes by their span."""
    kinds, spans, programs = {}, {}, {}
    lines = open(trace).read().splitlines()
    for line in lines:
        head = re.match(r"(\d+)\s+(\d+\.\d+) ", line)
        if head:
            t = float(head.group(2))
            spans.setdefault(head.group(1), [t, t])[1] = t
        call = re.match(r"(\d+)\s+\d+\.\d+ (\w+)\((.*)<(\d+\.\d+)>$", line)
        if not call:
            continue
        pid, name, args, ms = call.group(1), call.group(2), call.group(3), float(call.group(4)) * 1000
        if name == "execve":
            programs[pid] = os.path.basename(args.split('"')[1])
            continue
        if name in ("sendto", "sendmsg"):
            # RTM_DELLINK is 0x11; strace names it only on sockets of its own namespace.
            if "RTM_DELLINK" in args or "nlmsg_type=0x11 " in args:
                # A delete by device group (IFLA_GROUP, no index): pontoon's veth and bridge together.
                kind = ("kernel: delete bridge" if 'if_nametoindex("pb0")' in args
                        else "kernel: delete veth pair and bridge together" if "IFLA_GROUP" in args
                        else "kernel: delete veth pair")
            elif "NFNL" in args or "NETFILTER" in args:
                kind = "nftables batches"
            else:
                kind = "other netlink"
        elif name == "close":
            kind = "close: netfilter socket" if "NETFILTER" in args else "close: lock file" if "lock" in args else "close: other"
        else:
            kind = name
        kinds[kind] = kinds.get(kind, 0) + ms
    first = lines[0].split()[0]
    for pid, (start, end) in spans.items():
        if pid != first:
            kind = f"child process {programs.get(pid, '?')} (whole life)"
            kinds[kind] = kinds.get(kind, 0) + (end - start) * 1000
    start, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
    return kinds, (end - start) * 1000


def measure(name, binary, runs, keep, work):
    config = os.path.join(work, name.replace(" ", "-"))
    shutil.rmtree(config, ignore_errors=True)
    os.makedirs(config)
    argv = [binary, "--config", config, "--rootless=false"]
    keeper = None
    if keep:
        run("ip", "netns", "add", "keeper")
        run(*argv, "setup", "/run/netns/keeper", input=options("k" * 64, 0))
        keeper = "/run/netns/keeper"
    kinds, traced, untraced = {}, [], []
    for r in range(1, runs + 1):
        cid, netns = f"{r:02d}" * 32, f"/run/netns/c{r}"
        for timed in ("untraced", "traced"):
            run("ip", "netns", "add", f"c{r}")
            run(*argv, "setup", netns, input=options(cid, r))
            if timed == "untraced":
                start = time.monotonic()
                run(*argv, "teardown", netns, input=options(cid, r))
                untraced.append((time.monotonic() - start) * 1000)
            else:
                trace = os.path.join(config, f"teardown-{r}.strace")
                run("strace", "-f", "-T", "-ttt", "-yy", "-o", trace, "-e", "trace=sendto,sendmsg,close,execve",
                    *argv, "teardown", netns, input=options(cid, r))
                found, wall = classify(trace)
                traced.append(wall)
                for k, v in found.items():
                    kinds.setdefault(k, []).append(v)
            bridge_left = b"pb0" in run("ip", "-br", "link").stdout
            if bridge_left and not keep:
                raise SystemExit(f"{name}: the last container's teardown left the bridge")
            run("ip", "netns", "del", f"c{r}")
    if keeper:
        run(*argv, "teardown", keeper, input=options("k" * 64, 0))
        run("ip", "netns", "del", "keeper")
    median = statistics.median
    what = "another container keeps the bridge" if keep else "the last container (the bridge is deleted)"
    print(f"== {name}, {what}: {runs} runs, medians in ms")
    print(f"   {median(untraced):8.2f}  whole teardown, spawn to exit, untraced")
    print(f"   {median(traced):8.2f}  whole teardown under strace, of which:")
    for k, v in sorted(kinds.items(), key=lambda kv: -median(kv[1])):
        if median(v) >= 0.05:
            print(f"   {median(v):8.2f}    {k}" + ("" if len(v) == runs else f" (in {len(v)} of {runs} runs)"))


if __name__ == "__main__":
    pontoon, runs = sys.argv[1], int(sys.argv[2])
    for keep in (False, True):
        for name, binary in (("pontoon netavark", pontoon), ("netavark 1.4.0", "/usr/lib/podman/netavark")):
            measure(name, binary, runs, keep, "/run/bench-teardown")
