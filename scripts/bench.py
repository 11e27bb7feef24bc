"""Side-by-side benchmark of pontoon and the established plugins (run by scripts/bench, as root).

Runs inside a private network + mount namespace made by scripts/bench, with a tmpfs over /run:
every contender gets its own private host namespace (its rules, bridge and links live and die
there) and its own state directories under /run; every container gets its own namespace. Nothing
reaches the real host, and everything vanishes with this process. Contenders are interleaved run by
run, so machine drift hits all alike. Writes bench/<figure>.json and bench/<figure>.png per figure,
bench/summary.json (machine, date, targets), and rewrites the marked block of README.md.
"""
import argparse, ctypes, hashlib, json, os, re, shutil, statistics, sys, threading, time

CLONE_NEWNET = 0x40000000
MS_BIND, MNT_DETACH = 4096, 2
libc = ctypes.CDLL(None, use_errno=True)
NETNS_DIR = "/run/netns"
WORK_DIR = "/run/pontoon-bench"
SUBNET, GATEWAY = "10.88.0.0/16", "10.88.0.1"
REFERENCE = "reference chain"
PONTOON_CNI, PONTOON_NV, NETAVARK = "pontoon CNI", "pontoon netavark", "netavark 1.4.0"
BASE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
SETTLE = float(os.environ.get("BENCH_SETTLE", "0.05"))
README_BEGIN, README_END = "<!-- bench:begin (written by scripts/bench) -->", "<!-- bench:end -->"


def log(message):
    print(message, file=sys.stderr, flush=True)


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


# ---------------------------------------------------------------- namespaces

def setns(path):
    """Moves the calling thread (and the processes it spawns) into a network namespace."""
    fd = os.open(path, os.O_RDONLY)
    try:
        check(libc.setns(fd, CLONE_NEWNET), f"setns {path}")
    finally:
        os.close(fd)


class Namespaces:
    """Named namespaces bind-mounted under /run/netns (a tmpfs private to this run)."""

    def __init__(self):
        self.home = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net"
        self.count = 0
        self.lock = threading.Lock()

    def make(self, tag):
        with self.lock:
            self.count += 1
            path = f"{NETNS_DIR}/pb-{tag}-{self.count}"
        open(path, "w").close()
        # unshare moves this thread into the new namespace: come back to wherever it was.
        previous = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            check(libc.unshare(CLONE_NEWNET), "unshare")
            try:
                check(libc.mount(b"/proc/thread-self/ns/net", path.encode(), None, MS_BIND, None), "bind netns")
            finally:
                check(libc.setns(previous, CLONE_NEWNET), "setns back")
        finally:
            os.close(previous)
        return path

    def remove(self, path):
        libc.umount2(path.encode(), MNT_DETACH)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------- one process

class Run:
    __slots__ = ("ms", "status", "stdout", "spawned_ns")


def spawn(argv, env, stdin=b""):
    """Runs one process to its end: wall time from just before spawn to reaping, status, stdout."""
    fd_in = os.memfd_create("stdin")
    os.write(fd_in, stdin)
    os.lseek(fd_in, 0, os.SEEK_SET)
    fd_out = os.memfd_create("stdout")
    actions = [(os.POSIX_SPAWN_DUP2, fd_in, 0), (os.POSIX_SPAWN_DUP2, fd_out, 1),
               (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)]
    run = Run()
    run.spawned_ns = time.monotonic_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    run.ms = (time.monotonic_ns() - run.spawned_ns) / 1e6
    run.status = os.waitstatus_to_exitcode(status)
    os.lseek(fd_out, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd_out, 65536):
        chunks.append(chunk)
    run.stdout = b"".join(chunks)
    os.close(fd_in)
    os.close(fd_out)
    return run


def peak_kib(argv, env, stdin=b""):
    """Peak RSS of one call. A child of this (large) Python process would report Python's own peak
    (Linux carries the parent's high-water mark across vfork+exec), so GNU time forks it instead."""
    run = spawn(["/usr/bin/time", "-f", "PEAK %M", "-o", "/dev/fd/1", "-a"] + argv, env, stdin)
    match = re.search(rb"PEAK (\d+)", run.stdout)
    return run, int(match.group(1)) if match else None


def container_id(n):
    return hashlib.sha256(f"pontoon-bench-{n}".encode()).hexdigest()


class Failed(Exception):
    pass


def expect(run, what):
    if run.status != 0:
        raise Failed(f"{what} exited {run.status}: {run.stdout.decode(errors='replace')[:400]}")


# ---------------------------------------------------------------- contenders

class Contender:
    """One plugin (or chain) in its own private host namespace with its own state directories."""

    def __init__(self, name, namespaces):
        self.name, self.ns = name, namespaces
        self.dir = os.path.join(WORK_DIR, name.replace(" ", "-"))
        self.lock = threading.Lock()
        self.serial = 0
        self.host = None
        self.attached = {}  # container id -> (netns, state for DEL)
        self.fresh_host()

    def fresh_host(self):
        """A new, empty host: namespace, state directories; the old ones dropped whole (the kernel
        removes their links, rules and tables with the namespace)."""
        for netns, _ in self.attached.values():
            self.ns.remove(netns)
        self.attached.clear()
        if self.host:
            self.ns.remove(self.host)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.host = self.ns.make("host")
        setns_thread = self.host
        # The private host's loopback up, as on a real host (port mappings answer on 127.0.0.1).
        setns(setns_thread)
        spawn(["/usr/sbin/ip", "link", "set", "lo", "up"], dict(BASE_ENV))

    def new_container(self):
        with self.lock:
            self.serial += 1
            n = self.serial
        # netavark takes the address podman chose (static_ips): the bench plays podman's part.
        ip = f"10.88.{1 + n // 250}.{1 + n % 250}"
        return container_id(f"{self.name}-{n}"), n, ip

    @staticmethod
    def ports(n):
        return [{"hostPort": 20000 + 2 * (n % 20000), "containerPort": 80, "protocol": "tcp"},
                {"hostPort": 20001 + 2 * (n % 20000), "containerPort": 53, "protocol": "udp"}]

    def attach(self):
        """ADD a fresh container (its own namespace); returns (runs, address, id). Thread: the host's."""
        cid, n, ip = self.new_container()
        netns = self.ns.make("c")
        runs, state, address = self.add(cid, netns, n, ip)
        with self.lock:
            self.attached[cid] = (netns, state)
        return runs, address, cid

    def detach(self, cid):
        """DEL; a failed DEL leaves the container attached (its namespace goes with the host's)."""
        with self.lock:
            netns, state = self.attached[cid]
        runs = self.delete(cid, netns, state)
        with self.lock:
            del self.attached[cid]
        self.ns.remove(netns)
        return runs

    def lease_files(self):
        return sum(1 for _, _, files in os.walk(self.dir) for f in files if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", f))


def cni_env(command, cid, netns):
    return dict(BASE_ENV, CNI_COMMAND=command, CNI_CONTAINERID=cid, CNI_NETNS=netns,
                CNI_IFNAME="eth0", CNI_PATH="/usr/lib/cni")


def ipam(dir):
    return {"type": "host-local", "ranges": [[{"subnet": SUBNET, "gateway": GATEWAY}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": os.path.join(dir, "leases")}


class PontoonCNI(Contender):
    def __init__(self, binary, namespaces):
        self.binary = binary
        super().__init__(PONTOON_CNI, namespaces)

    def conf(self, n):
        return {"cniVersion": "1.0.0", "name": "benchnet", "type": "pontoon", "bridge": "pb0", "isGateway": True,
                "ipMasq": True, "stateDir": os.path.join(self.dir, "state"), "ipam": ipam(self.dir),
                "capabilities": {"portMappings": True}, "runtimeConfig": {"portMappings": self.ports(n)}}

    def argv_env_stdin(self, command, cid, netns, n, prev=None, extra_env=None):
        conf = self.conf(n)
        if prev is not None:
            conf["prevResult"] = json.loads(prev)
        return [self.binary], dict(cni_env(command, cid, netns), **(extra_env or {})), json.dumps(conf).encode()

    def add(self, cid, netns, n, ip, extra_env=None):
        run = spawn(*self.argv_env_stdin("ADD", cid, netns, n, extra_env=extra_env))
        expect(run, f"{self.name} ADD")
        return [run], (n, run.stdout), json.loads(run.stdout)["ips"][0]["address"].split("/")[0]

    def delete(self, cid, netns, state):
        n, result = state
        run = spawn(*self.argv_env_stdin("DEL", cid, netns, n, prev=result))
        expect(run, f"{self.name} DEL")
        return [run]

    def version_call(self):
        return [self.binary], dict(BASE_ENV, CNI_COMMAND="VERSION"), b'{"cniVersion":"1.0.0"}'

    def add_peak(self, cid, netns, n, ip):
        run, peak = peak_kib(*self.argv_env_stdin("ADD", cid, netns, n))
        expect(run, f"{self.name} ADD")
        result = run.stdout[:run.stdout.rfind(b"PEAK")]
        return peak, (n, result)


class ReferenceChain(Contender):
    """bridge + portmap + firewall from /usr/lib/cni, chained as libcni does: each plugin gets the
    previous one's result as prevResult; DEL runs them in reverse, each with the ADD's final result."""

    def __init__(self, namespaces):
        super().__init__(REFERENCE, namespaces)

    def plugins(self, n):
        return [{"type": "bridge", "bridge": "pb0", "isGateway": True, "ipMasq": True, "ipam": ipam(self.dir)},
                {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True,
                 "runtimeConfig": {"portMappings": self.ports(n)}},
                {"type": "firewall"}]

    def calls(self, command, cid, netns, n, result=None):
        """(argv, env, stdin) per plugin; ADD's stdin is completed with the previous result as it runs."""
        order = self.plugins(n) if command == "ADD" else list(reversed(self.plugins(n)))
        for plugin in order:
            conf = dict(plugin, cniVersion="1.0.0", name="benchnet")
            if result is not None:
                conf["prevResult"] = result
            yield plugin["type"], [f"/usr/lib/cni/{plugin['type']}"], cni_env(command, cid, netns), conf

    def add(self, cid, netns, n, ip, measure_peak=False):
        runs, previous, peak = [], None, 0
        for kind, argv, env, conf in self.calls("ADD", cid, netns, n):
            if previous is not None:
                conf["prevResult"] = previous
            stdin = json.dumps(conf).encode()
            if measure_peak:
                run, kib = peak_kib(argv, env, stdin)
                peak = max(peak, kib or 0)
                run.stdout = run.stdout[:run.stdout.rfind(b"PEAK")]
            else:
                run = spawn(argv, env, stdin)
            expect(run, f"{kind} ADD")
            runs.append(run)
            previous = json.loads(run.stdout)
        if measure_peak:
            return peak, (n, previous)
        return runs, (n, previous), previous["ips"][0]["address"].split("/")[0]

    def delete(self, cid, netns, state):
        n, result = state
        runs = []
        for kind, argv, env, conf in self.calls("DEL", cid, netns, n, result):
            run = spawn(argv, env, json.dumps(conf).encode())
            expect(run, f"{kind} DEL")
            runs.append(run)
        return runs

    def version_call(self):
        return ["/usr/lib/cni/bridge"], dict(BASE_ENV, CNI_COMMAND="VERSION"), b'{"cniVersion":"1.0.0"}'

    def add_peak(self, cid, netns, n, ip):
        return self.add(cid, netns, n, ip, measure_peak=True)


class NetavarkProtocol(Contender):
    """podman's netavark command line fed the NetworkOptions podman 4.3 sends (see
    /work/shared/reference/podman-netavark-setup.json): podman picks the address, as static_ips."""

    def __init__(self, name, binary, namespaces):
        self.binary = binary
        super().__init__(name, namespaces)

    def options(self, cid, n, ip):
        network = {"name": "benchnet", "id": "b" * 64, "driver": "bridge", "network_interface": "pb0",
                   "subnets": [{"subnet": SUBNET, "gateway": GATEWAY}], "ipv6_enabled": False,
                   "internal": False, "dns_enabled": False, "ipam_options": {"driver": "host-local"}}
        options = {"container_id": cid, "container_name": f"c{n}",
                   "port_mappings": [{"host_ip": "", "container_port": p["containerPort"], "host_port": p["hostPort"],
                                      "range": 1, "protocol": p["protocol"]} for p in self.ports(n)],
                   "networks": {"benchnet": {"static_ips": [ip], "aliases": [cid[:12]], "interface_name": "eth0"}},
                   "network_info": {"benchnet": network}}
        return json.dumps(options).encode()

    def call(self, verb, cid, netns, n, ip):
        argv = [self.binary, "--config", os.path.join(self.dir, "config"), "--rootless=false", verb, netns]
        return argv, dict(BASE_ENV), self.options(cid, n, ip)

    def add(self, cid, netns, n, ip):
        run = spawn(*self.call("setup", cid, netns, n, ip))
        expect(run, f"{self.name} setup")
        status = json.loads(run.stdout)["benchnet"]
        return [run], (n, ip), status["interfaces"]["eth0"]["subnets"][0]["ipnet"].split("/")[0]

    def delete(self, cid, netns, state):
        n, ip = state
        run = spawn(*self.call("teardown", cid, netns, n, ip))
        expect(run, f"{self.name} teardown")
        return [run]

    def version_call(self):
        return [self.binary, "version"], dict(BASE_ENV), b""

    def add_peak(self, cid, netns, n, ip):
        run, peak = peak_kib(*self.call("setup", cid, netns, n, ip))
        expect(run, f"{self.name} setup")
        return peak, (n, ip)


# ---------------------------------------------------------------- helpers

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


def in_parallel(contender, items, callers, work, ready=None):
    """`work(item)` for every item, from `callers` threads in the contender's host namespace (each
    thread takes every callers-th item). `ready()` runs once the threads exist, just before they
    start. Returns the items whose work raised, with their errors."""
    failed = []

    def worker(part):
        setns(contender.host)
        for item in part:
            try:
                work(item)
            except Exception as error:
                failed.append((item, error))

    threads = [threading.Thread(target=worker, args=(items[i::callers],)) for i in range(callers)]
    if ready:
        ready()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    setns(contender.host)
    return failed


def detach_all(contender, callers=4):
    """DEL every attached container (several callers: this part is not measured). A DEL that
    fails is tried once more alone; returns the messages of those that failed twice (netavark 1.4
    loses concurrent teardowns of a network's last containers)."""
    failed = in_parallel(contender, list(contender.attached), callers, contender.detach)
    errors = []
    for cid, _ in failed:
        try:
            contender.detach(cid)
        except Exception as error:
            errors.append(str(error)[:300])
    return errors


def fill(contender, target, callers=4):
    """Attach containers until `target` are attached (not measured). An ADD that fails is tried
    once more alone (netavark 1.4 loses some concurrent setups); returns how many failed twice."""
    need = target - len(contender.attached)
    jobs = [contender.new_container() + (contender.ns.make("c"),) for _ in range(max(0, need))]

    def attach(job):
        cid, n, ip, netns = job
        _, state, _ = contender.add(cid, netns, n, ip)
        with contender.lock:
            contender.attached[cid] = (netns, state)

    failed = in_parallel(contender, jobs, callers, attach)
    lost = 0
    for (cid, n, ip, netns), _ in failed:
        try:
            _, state, _ = contender.add(cid, netns, n, ip)
            contender.attached[cid] = (netns, state)
        except Exception as error:
            lost += 1
            log(f"  {contender.name}: an ADD of the fill failed twice: {str(error)[:200]}")
    return lost


def host_leftovers(contender, addresses, ports):
    """What a full DEL left on the host: veth links, lease files, and ruleset lines (nft's view,
    which includes iptables-nft's rules) naming any of the containers' addresses or host ports."""
    setns(contender.host)
    links = [l for l in spawn(["/usr/sbin/ip", "-o", "link", "show", "type", "veth"], dict(BASE_ENV)).stdout.decode().splitlines() if l.strip()]
    ruleset = spawn(["/usr/sbin/nft", "list", "ruleset"], dict(BASE_ENV)).stdout.decode()
    words = set(addresses) | {str(p) for p in ports}
    rules = sum(1 for line in ruleset.splitlines() if words & set(re.findall(r"[0-9][0-9.]*[0-9]", line)))
    return {"leftover_links": len(links), "leftover_leases": contender.lease_files(), "leftover_rule_lines": rules}


# ---------------------------------------------------------------- figures

def warm(contenders, home):
    """One ADD+DEL each, unmeasured: the bridge, the tables and chains exist from here on."""
    for c in contenders:
        setns(c.host)
        _, _, cid = c.attach()
        c.detach(cid)
    setns(home)


def figure_add_del(contenders, runs, home, progress):
    samples = {c.name: {"add": [], "del": [], "cycle": []} for c in contenders}
    for r in range(runs):
        for c in rotated(contenders, r):
            setns(c.host)
            settle()
            add_runs, _, cid = c.attach()
            settle()
            del_runs = c.detach(cid)
            s = samples[c.name]
            s["add"].append(total_ms(add_runs))
            s["del"].append(total_ms(del_runs))
            s["cycle"].append(total_ms(add_runs) + total_ms(del_runs))
        setns(home)
        progress(f"ADD/DEL run {r + 1}/{runs}")
    return {name: {k: summary(v) for k, v in s.items()} for name, s in samples.items()}


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
                setns(c.host)
                settle()
                add_runs, _, cid = c.attach()
                settle()
                del_runs = c.detach(cid)
                samples[c.name]["add"].append(total_ms(add_runs))
                samples[c.name]["del"].append(total_ms(del_runs))
            setns(home)
        for c in measured:
            result[c.name][str(size)] = dict({k: summary(v) for k, v in samples[c.name].items()}, attached=attached[c.name])
        progress(f"{size} attached measured")
    return result


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


# ---------------------------------------------------------------- charts

COLORS = {PONTOON_CNI: "#1f77b4", PONTOON_NV: "#17becf", REFERENCE: "#d62728", NETAVARK: "#ff7f0e"}


def grouped_bars(ax, names, groups, value, err=None):
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [x + i * width for x in range(len(groups))]
        values = [value(name, g) for g in groups]
        ax.bar(xs, values, width, label=name, color=COLORS.get(name, "#777"))
        if err:
            tops = [err(name, g) for g in groups]
            ax.errorbar(xs, values, yerr=[[0] * len(values), [t - v for t, v in zip(tops, values)]],
                        fmt="none", ecolor="black", capsize=3)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(groups))])


def charts(results, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(out, name + ".png"), dpi=100)
        plt.close(fig)

    f1 = results["fig1-add-del"]
    names = list(f1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    grouped_bars(ax, names, ["add", "del", "cycle"], lambda n, k: f1[n][k]["median"], lambda n, k: f1[n][k]["p95"])
    ax.set_xticklabels(["ADD", "DEL", "ADD+DEL"])
    ax.set_ylabel("ms (bar: median, whisker: p95)")
    ax.set_title("Figure 1: one attachment, masquerade + 2 port mappings (tcp, udp)", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, "fig1-add-del")

    f2 = results["fig2-scale"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, op in zip(axes, ("add", "del")):
        for name in names:
            sizes = sorted(f2[name], key=int)
            ax.plot([int(s) for s in sizes], [f2[name][s][op]["median"] for s in sizes], "o-", label=name, color=COLORS[name])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("containers already attached")
        ax.set_ylabel("ms (median)")
        ax.set_title(f"Figure 2: {op.upper()} as the host grows", fontsize=10)
    axes[0].legend(fontsize=8)
    save(fig, "fig2-scale")

    f3 = results["fig3-concurrency"]
    levels = sorted(f3[names[0]], key=int)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    grouped_bars(ax, names, levels, lambda n, l: f3[n][l]["attachments_per_s"])
    ax.set_xticklabels([f"{l} callers" for l in levels])
    ax.set_ylabel("attachments per second (ADD)")
    ax.set_title("Figure 3: concurrent callers", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, "fig3-concurrency")

    f4 = results["fig4-startup"]
    snames = list(f4)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    axes[0].barh(snames, [f4[n]["version_ms"]["median"] for n in snames], color=[COLORS.get(n, "#777") for n in snames])
    axes[0].set_xlabel("VERSION, ms (median, spawn to reap)")
    axes[0].set_title("Figure 4: start-up", fontsize=10)
    mem = [n for n in snames if "add_peak_kib" in f4[n]]
    axes[1].barh(mem, [f4[n]["add_peak_kib"] / 1024 for n in mem], color=[COLORS[n] for n in mem])
    axes[1].set_xlabel("peak RSS of one ADD call, MiB (chain: its largest plugin)")
    axes[1].set_title("peak memory per call", fontsize=10)
    save(fig, "fig4-startup")

    f5 = results["fig5-floor"]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    left = 0
    for i, (phase, s) in enumerate(f5["pontoon_add_phases_ms"].items()):
        ax.barh(["pontoon CNI ADD\n(debug log on)"], [s["median"]], left=left, label=phase, color=plt.cm.tab10(i % 10))
        left += s["median"]
    ax.barh(["floor ADD\n(in-process)"], [f5["floor"]["add"]["median"]], color="#333")
    ax.barh(["floor DEL\n(in-process)"], [f5["floor"]["del"]["median"]], color="#bbb", hatch="//")
    ax.set_xlabel("ms (medians)")
    ax.set_title("Figure 5: the in-process floor and one pontoon ADD's phases", fontsize=10)
    ax.legend(fontsize=7, ncol=8, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    save(fig, "fig5-floor")


# ---------------------------------------------------------------- table and targets

def ratio(ref, value):
    return f"{ref / value:.1f}×" if ref and value else "-"


def targets(results):
    f1, f2, f3, f4, f5 = (results[k] for k in ("fig1-add-del", "fig2-scale", "fig3-concurrency", "fig4-startup", "fig5-floor"))
    out = []

    def target(what, measured, met):
        out.append({"target": what, "measured": measured, "met": bool(met)})

    for door in (PONTOON_CNI, PONTOON_NV):
        add = f1[door]["add"]["median"]
        vs_ref, vs_nv = f1[REFERENCE]["add"]["median"] / add, f1[NETAVARK]["add"]["median"] / add
        target(f"{door}: ADD ≥ 20× faster than the reference chain", f"{vs_ref:.1f}×", vs_ref >= 20)
        target(f"{door}: ADD ≥ 15× faster than netavark 1.4.0", f"{vs_nv:.1f}×", vs_nv >= 15)
        cycle = f1[door]["cycle"]["median"]
        c_ref, c_nv = f1[REFERENCE]["cycle"]["median"] / cycle, f1[NETAVARK]["cycle"]["median"] / cycle
        target(f"{door}: ADD+DEL ≥ 5× faster than both", f"{c_ref:.1f}× / {c_nv:.1f}×", min(c_ref, c_nv) >= 5)
        sizes = sorted(f2[door], key=int)
        big = sizes[-1]
        for op in ("add", "del"):
            growth = f2[door][big][op]["median"] / f2[door][sizes[0]][op]["median"]
            target(f"{door}: {op.upper()} at {big} attached within 1.2× of at {sizes[0]}", f"{growth:.2f}×", growth <= 1.2)
        four = f3[door].get("4")
        if four:
            clean = (four["duplicate_addresses"] == 0 and four["failed_dels"] == 0
                     and four["leftover_links"] + four["leftover_leases"] + four["leftover_rule_lines"] == 0)
            target(f"{door}: ≥ 150 attachments/s with 4 callers, no duplicates, no leftovers",
                   f"{four['attachments_per_s']}/s, {four['duplicate_addresses']} dup, "
                   f"{four['leftover_links'] + four['leftover_leases'] + four['leftover_rule_lines']} leftovers, {four['failures']} failed",
                   four["attachments_per_s"] >= 150 and clean and four["failures"] == 0)
    version, reference = f4[PONTOON_CNI]["version_ms"]["median"], f4[REFERENCE]["version_ms"]["median"]
    target("start-up (VERSION) no slower than the Go reference plugin", f"{version:.2f} ms vs {reference:.2f} ms", version <= reference)
    add, floor = f1[PONTOON_CNI]["add"]["median"], f5["floor"]["add"]["median"]
    target("pontoon CNI ADD within 2× of the in-process floor", f"{add:.1f} ms vs floor {floor:.1f} ms ({add / floor:.1f}×)", add <= 2 * floor)
    return out


def table(results):
    f1, f2, f3, f4, f5 = (results[k] for k in ("fig1-add-del", "fig2-scale", "fig3-concurrency", "fig4-startup", "fig5-floor"))
    ref = f1[REFERENCE]
    lines = ["| contender | ADD median / p95 | DEL median / p95 | ADD+DEL median / p95 | ADD vs reference | DEL vs reference | ADD+DEL vs reference |",
             "|---|---|---|---|---|---|---|"]
    for name, s in f1.items():
        lines.append(f"| {name} | {s['add']['median']:.1f} / {s['add']['p95']:.1f} ms | {s['del']['median']:.1f} / {s['del']['p95']:.1f} ms | "
                     f"{s['cycle']['median']:.1f} / {s['cycle']['p95']:.1f} ms | {ratio(ref['add']['median'], s['add']['median'])} | "
                     f"{ratio(ref['del']['median'], s['del']['median'])} | {ratio(ref['cycle']['median'], s['cycle']['median'])} |")
    sizes = sorted(next(iter(f2.values())), key=int)
    lines += ["", "| contender (median ms) | " + " | ".join(f"ADD @{s}" for s in sizes) + " | " + " | ".join(f"DEL @{s}" for s in sizes) + " |",
              "|---|" + "---|" * (2 * len(sizes))]
    def scale_cell(s, z, op):
        if z not in s:
            return "not run (`--full`)"
        if z not in f2[REFERENCE]:
            return f"{s[z][op]['median']:.1f}"
        return f"{s[z][op]['median']:.1f} ({ratio(f2[REFERENCE][z][op]['median'], s[z][op]['median'])})"
    for name, s in f2.items():
        lines.append(f"| {name} | " + " | ".join(scale_cell(s, z, "add") for z in sizes)
                     + " | " + " | ".join(scale_cell(s, z, "del") for z in sizes) + " |")
    levels = sorted(next(iter(f3.values())), key=int)
    lines += ["", "| contender | " + " | ".join(f"{l} callers: ADD/s (duplicates, leftovers)" for l in levels) + " |",
              "|---|" + "---|" * len(levels)]
    for name, s in f3.items():
        cells = []
        for l in levels:
            x = s[l]
            left = x["leftover_links"] + x["leftover_leases"] + x["leftover_rule_lines"]
            if x["failed_dels"]:
                left = f"{left}, {x['failed_dels']} DELs failed"
            cells.append(f"{x['attachments_per_s']} ({ratio(x['attachments_per_s'], f3[REFERENCE][l]['attachments_per_s']) if name != REFERENCE else '1.0×'}; {x['duplicate_addresses']}, {left})"
                         + (f", {x['failures']} failed" if x["failures"] else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| contender | VERSION median / p95 | VERSION peak RSS | ADD peak RSS |", "|---|---|---|---|"]
    for name, s in f4.items():
        add_peak = f"{s['add_peak_kib'] / 1024:.1f} MiB" if "add_peak_kib" in s else "-"
        lines.append(f"| {name} | {s['version_ms']['median']:.2f} / {s['version_ms']['p95']:.2f} ms | {s['version_peak_kib'] / 1024:.1f} MiB | {add_peak} |")
    lines += ["", "| pontoon CNI ADD phase (debug timing log) | median ms |", "|---|---|"]
    for phase, s in f5["pontoon_add_phases_ms"].items():
        lines.append(f"| {phase} | {s['median']:.3f} |")
    lines.append(f"| whole ADD, spawn to reap (debug log on) | {f5['pontoon_add_total_debug_log_on']['median']:.3f} |")
    lines.append(f"| in-process floor: ADD / DEL | {f5['floor']['add']['median']:.3f} / {f5['floor']['del']['median']:.3f} |")
    return "\n".join(lines)


def readme_block(results, summary_doc):
    lines = [README_BEGIN, "",
             f"Run of {summary_doc['date']} ({summary_doc['mode']} mode, {summary_doc['seconds']} s) on {summary_doc['machine']}.",
             "Medians (p95 where shown) in milliseconds; \"vs reference\" is how many times faster than the reference chain.",
             "", table(results), "",
             f"DEL: pontoon CNI {results['fig1-add-del'][PONTOON_CNI]['del']['median']:.1f} ms against "
             f"{results['fig5-floor']['floor']['del']['median']:.1f} ms for the floor's DEL (one nft batch and the kernel's veth deletion).",
             "", "Targets (`bench/summary.json`):", "", "| target | measured | |", "|---|---|---|"]
    for t in summary_doc["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |")
    lines += ["", "![Figure 1](bench/fig1-add-del.png)", "![Figure 2](bench/fig2-scale.png)",
              "![Figure 3](bench/fig3-concurrency.png)", "![Figure 4](bench/fig4-startup.png)",
              "![Figure 5](bench/fig5-floor.png)", "", README_END]
    return "\n".join(lines)


def rewrite_readme(path, block):
    text = open(path).read()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < 0:
        log(f"README has no {README_BEGIN!r} block: not rewritten")
        return
    with open(path, "w") as f:
        f.write(text[:begin] + block + text[end + len(README_END):])


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true", help="fill every contender to every size (the reference chain and netavark to 1,000: ~20 more minutes)")
    parser.add_argument("--pontoon", required=True)
    parser.add_argument("--floor", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--readme")
    parser.add_argument("--machine", default="")
    parser.add_argument("--only", help="comma-separated figures to run (development): 1,2,3,4,5")
    parser.add_argument("--sizes", help="figure 2's host sizes, comma-separated (default 1,100,1000; quick 1,100)")
    parser.add_argument("--charts-only", action="store_true", help="redraw charts, summary and README from bench/*.json")
    args = parser.parse_args()
    if args.charts_only:
        return publish(args, *load_results(args.out))
    quick = args.quick
    os.makedirs(NETNS_DIR, exist_ok=True)
    os.makedirs(WORK_DIR, exist_ok=True)
    namespaces = Namespaces()
    home = namespaces.home
    started = time.time()
    figure = [0, ""]

    def progress(message):
        log(f"[{time.time() - started:5.0f} s] figure {figure[0]} {figure[1]}: {message}")

    contenders = [PontoonCNI(args.pontoon, namespaces),
                  NetavarkProtocol(PONTOON_NV, args.pontoon, namespaces),
                  ReferenceChain(namespaces),
                  NetavarkProtocol(NETAVARK, "/usr/lib/podman/netavark", namespaces)]
    setns(home)
    only = set(args.only.split(",")) if args.only else {"1", "2", "3", "4", "5"}
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [1, 100] if quick else [1, 100, 1000]
    # Figure 2 runs last: the thousands of namespaces it leaves are torn down by the kernel in the
    # background, holding the rtnl lock that every other figure's operations need.
    plan = [
        ("1", "fig1-add-del", "ADD, DEL, ADD+DEL", lambda: figure_add_del(contenders, 10 if quick else 30, home, progress)),
        ("3", "fig3-concurrency", "concurrent callers",
         lambda: figure_concurrency(contenders, [1, 4, 16], 16 if quick else 48, home, progress)),
        ("4", "fig4-startup", "start-up and peak memory",
         lambda: figure_startup(contenders, 40 if quick else 200, 2 if quick else 5, home, progress)),
        ("5", "fig5-floor", "floor and breakdown",
         lambda: figure_floor(contenders[0], args.floor, 50 if quick else 300, 5 if quick else 20, home, progress)),
        ("2", "fig2-scale", "cost as the host grows",
         lambda: figure_scale(contenders, sizes, 4 if quick else 10, home, progress,
                              cap=None if args.full else (lambda c: max(sizes) if c.name in (PONTOON_CNI, PONTOON_NV) else 100))),
    ]
    results = {}
    try:
        for number, key, title, run in plan:
            if number not in only:
                continue
            figure[:] = [number, f"({title})"]
            # Every figure starts from fresh, empty hosts: what one contender left (rules, links,
            # leases, records) goes with its namespace and state directories.
            for c in contenders:
                c.fresh_host()
            setns(home)
            quiesce(progress)
            warm(contenders, home)
            progress("started")
            results[key] = run()
            setns(home)
    finally:
        setns(home)
        for c in contenders:
            for netns, _ in c.attached.values():
                namespaces.remove(netns)
            namespaces.remove(c.host)
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    seconds = round(time.time() - started, 1)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": args.machine,
            "mode": "quick" if quick else "default", "seconds": seconds,
            "shape": "bridge, isGateway, masquerade, 2 port mappings (tcp, udp), host-local 10.88.0.0/16"}
    os.makedirs(args.out, exist_ok=True)
    for key, value in results.items():
        with open(os.path.join(args.out, key + ".json"), "w") as f:
            json.dump(dict(meta, figure=key, results=value), f, indent=1)
    if len(results) < len(plan):
        log(f"partial run ({', '.join(results)}): JSON written; no charts, summary or README ({seconds} s)")
        return
    publish(args, results, meta)


FIGURES = ("fig1-add-del", "fig2-scale", "fig3-concurrency", "fig4-startup", "fig5-floor")


def load_results(out):
    results, meta = {}, None
    for key in FIGURES:
        with open(os.path.join(out, key + ".json")) as f:
            doc = json.load(f)
        results[key] = doc.pop("results")
        doc.pop("figure", None)
        meta = meta or doc
    return results, meta


def publish(args, results, meta):
    """summary.json, the charts, the README block and the table on stdout."""
    doc = dict(meta, targets=targets(results))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(doc, f, indent=1)
    charts(results, args.out)
    if args.readme:
        rewrite_readme(args.readme, readme_block(results, doc))
    print(table(results))
    print()
    for t in doc["targets"]:
        print(f"{'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['measured']}")
    print(f"\nwritten: {args.out}/fig*.json, fig*.png, summary.json{', ' + args.readme if args.readme else ''} ({meta['seconds']} s)")


if __name__ == "__main__":
    main()
