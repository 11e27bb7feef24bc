"""Figure 6's rows: the rootless paths measured, each run by the throwaway user inside the private
host. A row creates and removes containers publishing ports, and says how to run a command in a
container's network namespace. A row pontoonctl refuses raises NotAvailable with pontoonctl's own
words: the figure then shows "not available: …", never a number."""
import json, os, subprocess, time

from .names import (RL_PODMAN_BRIDGE, RL_PODMAN_SLIRP, RL_PONTOON_DEFAULT, RL_PONTOON_FORWARDS,
                    RL_PONTOON_ROOTLESSKIT, RL_PONTOON_SLIRP)

SLEEP = ["/usr/bin/sleep", "infinity"]


class NotAvailable(Exception):
    pass


def first_error_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("Error")]
    return (errors or lines or ["(no message)"])[0][:300]


class Row:
    """One rootless path: `create(name, ports)` and `remove(name)` return their wall time in ms;
    `inside(name)` is the argv prefix that runs a command in the container's network namespace."""
    # A row of a feature still being built: refused, it is "not available"; the others must work.
    optional = False

    def __init__(self, name, user, host):
        self.name, self.user, self.host = name, user, host

    def call(self, argv, env, what, timeout=120):
        started = time.monotonic()
        run = subprocess.run(self.user.argv(argv, self.host, env), capture_output=True, text=True, cwd="/",
                             timeout=timeout, stdin=subprocess.DEVNULL)
        ms = (time.monotonic() - started) * 1e3
        if run.returncode != 0:
            raise RuntimeError(f"{self.name}: {what} exited {run.returncode}: {first_error_line(run.stderr + run.stdout)}")
        return ms, run.stdout

    def setup(self):
        pass

    def teardown(self):
        pass


class Pontoonctl(Row):
    def __init__(self, name, user, host, pontoonctl, network, extra=(), optional=False):
        super().__init__(name, user, host)
        self.pontoonctl, self.network, self.extra = pontoonctl, network, list(extra)
        self.optional = optional
        self.keys = {}

    def ctl(self, args, what=None):
        return self.call([self.pontoonctl] + args, None, what or args[0])

    def setup(self):
        # One network for both bridge rows, made by the first (rootless default: MTU 65520).
        if not self.network.startswith("slirp4netns") and not os.path.exists(
                os.path.join(self.user.home, ".config/pontoon/networks", self.network + ".json")):
            self.ctl(["network", "create", self.network], "network create")

    def create(self, name, ports):
        # `run`: create + start, the one step (pontoonctl's `create` alone only records the container).
        argv = [self.pontoonctl, "run", name, "--network", self.network] + self.extra
        for host_port, container_port in ports:
            argv += ["-p", f"{host_port}:{container_port}"]
        started = time.monotonic()
        run = subprocess.run(self.user.argv(argv, self.host), capture_output=True, text=True,
                             cwd="/", timeout=120, stdin=subprocess.DEVNULL)
        ms = (time.monotonic() - started) * 1e3
        if run.returncode != 0:
            message = first_error_line(run.stderr + run.stdout)
            # A refusal (125: pontoonctl's CtlError .usage; 64: an option this build does not know)
            # is a feature this build lacks, not a failure of the run.
            if self.optional and run.returncode in (64, 125):
                raise NotAvailable(message)
            raise RuntimeError(f"{self.name}: create exited {run.returncode}: {message}")
        return ms

    def remove(self, name):
        self.keys.pop(name, None)
        return self.ctl(["rm", "--force", name])[0]   # it runs: podman's rm needs --force too

    def inside(self, name):
        """`pontoonctl exec` where this build has it for rootless containers; otherwise root enters
        the container's namespace file, which only the pause process's mount namespace holds."""
        if name not in self.keys:
            probe = subprocess.run(self.user.argv([self.pontoonctl, "exec", name, "--", "/bin/true"], self.host),
                                   capture_output=True, text=True, cwd="/", stdin=subprocess.DEVNULL)
            if probe.returncode == 0:
                self.keys[name] = self.user.argv([self.pontoonctl, "exec", name, "--"], self.host)
            else:
                _, out = self.ctl(["inspect", name, "--format", "json"], "inspect")
                key = json.loads(out)["NetworkSettings"]["SandboxKey"]
                with open(os.path.join(self.user.runtime, "pontoon", "rootless-netns-pause.pid")) as f:
                    pause = f.read().strip()
                self.keys[name] = ["/usr/bin/nsenter", "--target", pause, "--mount", "--", "/usr/bin/nsenter", "--net=" + key, "--"]
        return self.keys[name]


class Podman(Row):
    """podman 4.3.1 rootless as the user, with its own containers.conf and storage.conf (vfs under the
    user's home, runroot under its runtime directory) and a rootfs of bind-mounted /usr (so the
    container has python3 and iperf3 as the host has them)."""

    def __init__(self, name, user, host, network):
        super().__init__(name, user, host)
        self.network = network
        home = user.home
        self.rootfs = os.path.join(home, "rootfs")
        self.conf, self.storage = os.path.join(home, "containers.conf"), os.path.join(home, "storage.conf")
        self.pids = {}

    def env(self):
        return {"CONTAINERS_CONF": self.conf, "CONTAINERS_STORAGE_CONF": self.storage}

    def podman(self, args, what=None):
        return self.call(["/usr/bin/podman"] + args, self.env(), what or args[0])

    def setup(self):
        if not os.path.isdir(self.rootfs):
            write_podman_files(self.user, self.rootfs, self.conf, self.storage)
        if self.network != "slirp4netns":
            existing = self.podman(["network", "ls", "--format", "{{.Name}}"])[1].split()
            if self.network not in existing:
                self.podman(["network", "create", self.network], "network create")

    def create(self, name, ports):
        argv = ["run", "-d", "--name", name, "--network", self.network]
        for host_port, container_port in ports:
            argv += ["-p", f"{host_port}:{container_port}"]
        return self.podman(argv + ["-v", "/usr:/usr:ro", "--rootfs", self.rootfs] + SLEEP, "run -d")[0]

    def remove(self, name):
        self.pids.pop(name, None)
        return self.podman(["rm", "--force", "--time", "0", name], "rm")[0]

    def inside(self, name):
        """The container's network namespace through its process (root may enter it)."""
        if name not in self.pids:
            self.pids[name] = self.podman(["inspect", "--format", "{{.State.Pid}}", name], "inspect")[1].strip()
        return ["/usr/bin/nsenter", "--target", self.pids[name], "--net", "--"]

    def teardown(self):
        try:
            self.podman(["rm", "--all", "--force", "--time", "0"], "rm --all")
            if self.network != "slirp4netns":
                self.podman(["network", "rm", "--force", self.network], "network rm")
        except Exception:
            pass  # the user's removal kills whatever is left


def write_podman_files(user, rootfs, conf, storage):
    os.makedirs(rootfs)
    for d in ("usr", "proc", "sys", "dev", "etc", "tmp", "run", "var"):
        os.makedirs(os.path.join(rootfs, d))
    for link in ("bin", "lib", "lib64", "sbin"):
        os.symlink("usr/" + link, os.path.join(rootfs, link))
    # No cgroups of the user's to delegate here (cgroupfs): podman runs the container without. File
    # locks under tmp_dir (the user's runtime directory), not /dev/shm/libpod_rootless_lock_UID,
    # which podman would leave on the real host.
    with open(conf, "w") as f:
        f.write('[containers]\ndefault_ulimits = ["nofile=1024:1024"]\n\n[engine]\nruntime = "runc"\n'
                'cgroup_manager = "cgroupfs"\nevents_logger = "none"\nlock_type = "file"\n'
                f'tmp_dir = "{user.runtime}/libpod/tmp"\nhelper_binaries_dir = ["/usr/lib/podman"]\n\n'
                '[network]\nnetwork_backend = "netavark"\n')
    with open(storage, "w") as f:
        f.write(f'[storage]\ndriver = "vfs"\ngraphroot = "{user.home}/storage"\nrunroot = "{user.runtime}/containers"\n')
    for path in (rootfs, conf, storage):
        subprocess.run(["/usr/bin/chown", "-R", f"{user.uid}:{user.gid}", path], check=True)


def rows(user, host, pontoonctl):
    return [Pontoonctl(RL_PONTOON_DEFAULT, user, host, pontoonctl, "rlbench"),
            Pontoonctl(RL_PONTOON_FORWARDS, user, host, pontoonctl, "rlbench", ["--port-handler", "slirp4netns"], optional=True),
            Pontoonctl(RL_PONTOON_ROOTLESSKIT, user, host, pontoonctl, "rlbench", ["--port-handler", "rootlesskit"], optional=True),
            Pontoonctl(RL_PONTOON_SLIRP, user, host, pontoonctl, "slirp4netns:port_handler=slirp4netns", optional=True),
            Podman(RL_PODMAN_BRIDGE, user, host, "rlbench"),
            Podman(RL_PODMAN_SLIRP, user, host, "slirp4netns")]
