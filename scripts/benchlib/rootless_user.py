"""Figure 6's throwaway unprivileged user, as Tests/TestSupport/RootlessUser.swift makes one: a
random name and uid above useradd's range, a subordinate uid/gid range of its own in /etc/subuid and
/etc/subgid, /run/user/UID owned by it (in this run's private /run), and commands run as it with a
login's environment. `remove()` kills its processes and removes every trace; it is called from a
`finally`, so a failure or Ctrl-C (SIGTERM too: see main.py) removes the user as well."""
import os, pwd, random, shutil, subprocess, time

from .process import log

SHADOW_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
USER_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


def shadow(tool, args):
    """shadow's tools lock /etc/passwd and friends; another user of them may hold it a moment."""
    for _ in range(50):
        run = subprocess.run(["/usr/sbin/" + tool] + args, env=SHADOW_ENV, capture_output=True, text=True)
        if run.returncode == 0:
            return
        if "lock" not in run.stderr and "try again" not in run.stderr:
            break
        time.sleep(0.1)
    raise RuntimeError(f"{tool} {' '.join(args)}: exit {run.returncode}: {run.stderr.strip()}")


class RootlessUser:
    def __init__(self):
        self.name = "ptb" + format(random.getrandbits(32), "x")
        self.home = "/home/" + self.name
        self.uid = self.range = None
        self.removed = False
        for _ in range(20):
            candidate = random.randrange(250_000, 251_000)
            try:
                pwd.getpwuid(candidate)
                continue
            except KeyError:
                pass
            # Debian's useradd would give the user a subordinate range itself: off, the range is ours.
            shadow("useradd", ["--uid", str(candidate), "--create-home", "--home-dir", self.home, "--shell", "/usr/sbin/nologin",
                               "--user-group", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", self.name])
            self.uid = candidate
            break
        if self.uid is None:
            raise RuntimeError("no free uid for the benchmark's rootless user")
        try:
            self.gid = pwd.getpwnam(self.name).pw_gid
            # Above login.defs' SUB_UID_MAX and the tests' ranges (700,000,000 + (uid - 200,000) × 65,536,
            # below 3,980,000,000): never anyone else's.
            start = 4_000_000_000 + (self.uid - 250_000) * 65_536
            self.range = f"{start}-{start + 65_535}"
            for file in ("/etc/subuid", "/etc/subgid"):
                if not os.path.exists(file):
                    open(file, "a").close()
                    os.chmod(file, 0o644)
            shadow("usermod", ["--add-subuids", self.range, "--add-subgids", self.range, self.name])
            self.runtime = f"/run/user/{self.uid}"
            os.makedirs("/run/user", exist_ok=True)
            os.mkdir(self.runtime, 0o700)
            os.chown(self.runtime, self.uid, self.gid)
            self.bin = os.path.join(self.home, "bin")
            os.makedirs(self.bin)
            os.chown(self.bin, self.uid, self.gid)
        except BaseException:
            self.remove()
            raise

    def install(self, binary):
        """A copy of `binary` the user can run (a checkout may not be readable by others)."""
        copy = os.path.join(self.bin, os.path.basename(binary))
        shutil.copy(binary, copy)
        os.chmod(copy, 0o755)
        return copy

    def env(self, extra=None):
        env = {"HOME": self.home, "XDG_RUNTIME_DIR": self.runtime, "PATH": USER_PATH, "USER": self.name, "LOGNAME": self.name}
        env.update(extra or {})
        return env

    def argv(self, argv, netns=None, extra=None):
        """`argv` as the user (setpriv) with exactly `env(extra)`, inside the network namespace
        `netns` when given: a prefix any caller can spawn, whatever its own environment."""
        variables = [f"{k}={v}" for k, v in self.env(extra).items()]
        command = (["/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--",
                    "/usr/bin/env", "-i"] + variables + argv)
        return (["/usr/bin/nsenter", "--net=" + netns, "--"] if netns else []) + command

    def mounts(self):
        points = []
        for line in open("/proc/self/mountinfo"):
            point = line.split()[4].replace("\\040", " ")
            if point == self.runtime or point.startswith(self.runtime + "/"):
                points.append(point)
        return sorted(points, key=len)

    def remove(self):
        """Kills every process of the user, unmounts what is under its runtime directory, removes it,
        its subordinate ranges, its home and the user. Safe to call twice."""
        if self.removed:
            return
        self.removed = True
        if self.uid is not None:
            for _ in range(50):
                subprocess.run(["/usr/bin/pkill", "-KILL", "-U", str(self.uid)], capture_output=True)
                if subprocess.run(["/usr/bin/pgrep", "-U", str(self.uid)], capture_output=True).returncode != 0:
                    break
                time.sleep(0.1)
            if getattr(self, "runtime", None):
                for point in reversed(self.mounts()):
                    subprocess.run(["/usr/bin/umount", "--lazy", point], capture_output=True)
                shutil.rmtree(self.runtime, ignore_errors=True)
            # podman's shm lock, should a podman of the user's have used one (the figure asks for file locks).
            try:
                os.unlink(f"/dev/shm/libpod_rootless_lock_{self.uid}")
            except FileNotFoundError:
                pass
        try:
            pwd.getpwnam(self.name)
            exists = True
        except KeyError:
            exists = False
        if exists and self.range:
            try:
                shadow("usermod", ["--del-subuids", self.range, "--del-subgids", self.range, self.name])
            except RuntimeError as error:
                log(f"  rootless user: {error}")
        if exists:
            try:
                shadow("userdel", ["--remove", self.name])
            except RuntimeError as error:
                log(f"  rootless user: {error}")
        shutil.rmtree(self.home, ignore_errors=True)

    def traces(self):
        """What is left of the user (empty after remove())."""
        found = []
        try:
            pwd.getpwnam(self.name)
            found.append("user " + self.name)
        except KeyError:
            pass
        found += [p for p in (getattr(self, "runtime", ""), self.home, f"/dev/shm/libpod_rootless_lock_{self.uid}")
                  if p and os.path.exists(p)]
        for file in ("/etc/subuid", "/etc/subgid"):
            if os.path.exists(file):
                found += [f"{file}: {l.strip()}" for l in open(file) if l.startswith(self.name + ":")]
        return found
