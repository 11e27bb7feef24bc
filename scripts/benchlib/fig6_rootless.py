"""Figure 6: rootless containers, pontoonctl's paths beside podman 4.3.1's own, in the same run. A
throwaway user (rootless_user.py) runs both inside a private host with an outside namespace behind it
(the host 198.51.100.1, the outside 198.51.100.2); for each row (rootless_rows.py): create+rm of a
container publishing a port (median, p95; with the row's server container up, so a bridge row's
rootless netns is already there), inbound iperf3 throughput (outside → the published port), outbound
(container → an iperf3 server in the outside), connection latency (a new TCP connection per request
from the outside to a published echo server: connect, request, reply, close) and whether the
container saw the client's own address. Everything it makes goes with the user and the namespaces,
also on failure or Ctrl-C."""
import json, os, subprocess, time

from .measure import summary
from .rootless_rows import NotAvailable, rows
from .rootless_user import RootlessUser

HOST_IP, OUTSIDE_IP = "198.51.100.1", "198.51.100.2"
ROOTLESS_SHAPE = ("rootless, a throwaway user in a private host (198.51.100.1) with an outside namespace (198.51.100.2): "
                  "per row create+rm publishing 1 port, iperf3 inbound and outbound, new-connection latency")
IPERF_PORT, ECHO_PORT, OUTBOUND_PORT = 5201, 7000, 5301

# Inside the container: answer every connection with the peer's address, then close.
ECHO_SERVER = """import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
while True:
    c, peer = s.accept()
    c.recv(64); c.sendall(peer[0].encode()); c.close()
"""

# In the outside namespace: a new connection per request, timed from connect to the server's close.
LATENCY_CLIENT = """import json, socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ms, peers = [], set()
for i in range(n + 5):
    t = time.perf_counter()
    c = socket.create_connection((host, port), timeout=5)
    c.sendall(b"x"); data = b""
    while chunk := c.recv(64):
        data += chunk
    c.close()
    if i >= 5:
        ms.append((time.perf_counter() - t) * 1e3); peers.add(data.decode())
print(json.dumps({"ms": ms, "peers": sorted(peers)}))
"""


def run(argv, what, timeout=60):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{what} exited {done.returncode}: {(done.stderr or done.stdout).strip()[:300]}")
    return done.stdout


def wait_listening(prefix, port, what, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        listening = subprocess.run(prefix + ["/usr/bin/ss", "-Hltn"], capture_output=True, text=True).stdout
        if f":{port} " in listening:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} is not listening on {port} after {seconds} s")


def iperf_bps(output, what):
    try:
        doc = json.loads(output)
        return doc["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError) as error:
        raise RuntimeError(f"{what}: no iperf3 result ({error}): {output[:300]}")


class Servers:
    """Background servers of one row; all killed (their process groups) when the row ends."""

    def __init__(self):
        self.running = []

    def start(self, argv):
        self.running.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, start_new_session=True))

    def stop(self):
        for p in self.running:
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass
            p.wait()
        self.running.clear()


def wire(namespaces):
    host, outside = namespaces.make("rl-host"), namespaces.make("rl-out")
    in_host, in_outside = ["/usr/bin/nsenter", "--net=" + host, "--"], ["/usr/bin/nsenter", "--net=" + outside, "--"]
    for argv in (in_host + ["ip", "link", "set", "lo", "up"], in_outside + ["ip", "link", "set", "lo", "up"],
                 in_host + ["ip", "link", "add", "uplink", "type", "veth", "peer", "name", "world", "netns", outside],
                 in_host + ["ip", "addr", "add", HOST_IP + "/24", "dev", "uplink"], in_host + ["ip", "link", "set", "uplink", "up"],
                 in_outside + ["ip", "addr", "add", OUTSIDE_IP + "/24", "dev", "world"],
                 in_outside + ["ip", "link", "set", "world", "up"]):
        run(argv, " ".join(argv[3:]))
    return host, outside, in_outside


def measure_row(row, index, in_outside, scripts, counts, progress):
    creates, seconds, requests = counts
    base = 20000 + 100 * index
    iperf_host, echo_host = base, base + 1
    servers = Servers()
    made = []
    try:
        row.setup()
        row.create("srv", [(iperf_host, IPERF_PORT), (echo_host, ECHO_PORT)])
        made.append("srv")
        cycles = []
        for i in range(creates):
            name = f"cr{i}"
            ms = row.create(name, [(base + 10 + i, 80)])
            made.append(name)
            ms += row.remove(name)
            made.remove(name)
            cycles.append(ms)
        progress(f"{row.name}: create+rm measured")
        inside = row.inside("srv")
        servers.start(inside + ["/usr/bin/iperf3", "-s", "-p", str(IPERF_PORT)])
        servers.start(inside + ["/usr/bin/python3", scripts["echo"], str(ECHO_PORT)])
        servers.start(in_outside + ["/usr/bin/iperf3", "-s", "-p", str(OUTBOUND_PORT)])
        wait_listening(inside, IPERF_PORT, f"{row.name}: iperf3 in the container")
        wait_listening(inside, ECHO_PORT, f"{row.name}: the echo server in the container")
        wait_listening(in_outside, OUTBOUND_PORT, "iperf3 in the outside")
        limit = seconds + 30
        inbound = iperf_bps(run(in_outside + ["/usr/bin/iperf3", "-c", HOST_IP, "-p", str(iperf_host), "-t", str(seconds), "-J"],
                                f"{row.name}: inbound iperf3", limit), f"{row.name}: inbound")
        outbound = iperf_bps(run(inside + ["/usr/bin/iperf3", "-c", OUTSIDE_IP, "-p", str(OUTBOUND_PORT), "-t", str(seconds), "-J"],
                                 f"{row.name}: outbound iperf3", limit), f"{row.name}: outbound")
        progress(f"{row.name}: throughput measured")
        latency = json.loads(run(in_outside + ["/usr/bin/python3", scripts["client"], HOST_IP, str(echo_host), str(requests)],
                                 f"{row.name}: latency client", 120))
        progress(f"{row.name}: latency measured (the container saw {', '.join(latency['peers'])})")
        return {"available": True, "create_rm_ms": summary(cycles), "inbound_gbps": round(inbound / 1e9, 3),
                "outbound_gbps": round(outbound / 1e9, 3), "latency_ms": summary(latency["ms"]),
                "peers_seen": latency["peers"], "client_address_kept": latency["peers"] == [OUTSIDE_IP]}
    except NotAvailable as refused:
        progress(f"{row.name}: not available: {refused}")
        return {"available": False, "error": str(refused)}
    except Exception as error:
        # A row of a feature still being built that pontoonctl accepted but that did not carry the
        # traffic: shown as failed with its error (never a number); the default and podman's rows
        # must work, and stop the figure.
        if not row.optional:
            raise
        progress(f"{row.name}: failed: {error}")
        return {"available": False, "failed": True, "error": str(error)[:300]}
    finally:
        servers.stop()
        for name in made:
            try:
                row.remove(name)
            except Exception:
                pass  # the row's teardown and the user's removal take what is left
        row.teardown()


def figure_rootless(pontoonctl, namespaces, quick, progress):
    counts = (3, 2, 50) if quick else (10, 5, 300)
    host = outside = user = None
    try:
        host, outside, in_outside = wire(namespaces)
        user = RootlessUser()
        progress(f"throwaway user {user.name} (uid {user.uid}) made")
        ctl = user.install(pontoonctl)
        user.install(os.path.join(os.path.dirname(pontoonctl), "pontoon"))
        scripts = {}
        for key, text in (("echo", ECHO_SERVER), ("client", LATENCY_CLIENT)):
            scripts[key] = os.path.join(user.bin, f"rl-{key}.py")
            with open(scripts[key], "w") as f:
                f.write(text)
            os.chmod(scripts[key], 0o755)
        measured = {}
        for index, row in enumerate(rows(user, host, ctl)):
            measured[row.name] = measure_row(row, index, in_outside, scripts, counts, progress)
        return {"rows": measured, "counts": {"create_rm": counts[0], "iperf3_seconds": counts[1], "requests": counts[2]}}
    finally:
        if user:
            user.remove()
            left = user.traces()
            if left:
                progress(f"WARNING: the throwaway user left: {left}")
        for netns in (outside, host):
            if netns:
                namespaces.remove(netns)
