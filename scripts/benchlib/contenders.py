"""The contenders: each plugin (or chain) measured, how it is called for ADD, DEL, VERSION and a
peak-memory ADD, in its own private host namespace with its own state directories. One network
shape for all (bridge pb0, gateway, masquerade, 2 port mappings tcp+udp, host-local 10.88.0.0/16)."""
import hashlib, json, os, re, shutil, threading

from .hosts import WORK_DIR, setns
from .names import PONTOON_CNI, REFERENCE
from .process import BASE_ENV, expect, peak_kib, spawn

SUBNET, GATEWAY = "10.88.0.0/16", "10.88.0.1"


def container_id(n):
    return hashlib.sha256(f"pontoon-bench-{n}".encode()).hexdigest()


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
    def __init__(self, binary, namespaces, name=PONTOON_CNI):
        self.binary = binary
        super().__init__(name, namespaces)

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

    def call(self, verb, cid, netns, n, ip, extra_env=None):
        argv = [self.binary, "--config", os.path.join(self.dir, "config"), "--rootless=false", verb, netns]
        return argv, dict(BASE_ENV, **(extra_env or {})), self.options(cid, n, ip)

    def add(self, cid, netns, n, ip, extra_env=None):
        run = spawn(*self.call("setup", cid, netns, n, ip, extra_env))
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
