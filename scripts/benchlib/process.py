"""One process at a time: its wall time from just before spawn to reaping, its status and stdout,
and (through GNU time) its peak memory."""
import os, re, sys, time

BASE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def log(message):
    print(message, file=sys.stderr, flush=True)


class Run:
    # user_ms / sys_ms: the process's own CPU (wait4's rusage): user space is ours alone; system
    # time is the kernel working in its context (syscalls, and the softirqs they run, such as a
    # broadcast flooded to every port of a bridge).
    __slots__ = ("ms", "status", "stdout", "spawned_ns", "user_ms", "sys_ms")


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
    _, status, usage = os.wait4(pid, 0)
    run.ms = (time.monotonic_ns() - run.spawned_ns) / 1e6
    run.user_ms, run.sys_ms = usage.ru_utime * 1e3, usage.ru_stime * 1e3
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


class Failed(Exception):
    pass


def expect(run, what):
    if run.status != 0:
        raise Failed(f"{what} exited {run.status}: {run.stdout.decode(errors='replace')[:400]}")
