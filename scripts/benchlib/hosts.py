"""The private hosts: named network namespaces under /run/netns (a tmpfs private to this run), one
per contender's host and one per container, and filling or emptying a host (never measured)."""
import ctypes, os, re, threading

from .process import BASE_ENV, log, spawn

CLONE_NEWNET = 0x40000000
MS_BIND, MNT_DETACH = 4096, 2
libc = ctypes.CDLL(None, use_errno=True)
NETNS_DIR = "/run/netns"
WORK_DIR = "/run/pontoon-bench"


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


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


def warm(contenders, home):
    """One ADD+DEL each, unmeasured: the bridge, the tables and chains exist from here on."""
    for c in contenders:
        setns(c.host)
        _, _, cid = c.attach()
        c.detach(cid)
    setns(home)
