"""Faults a test can put under a real atomic process: a small disk, a file-size limit.

SmallDisk mounts a tmpfs of a few KiB in a private mount namespace (`unshare -m`), so the disk
is full for atomic and for nothing else on the machine; atomic runs inside it through nsenter,
and the test reaches the files through /proc/<holder>/root. Needs root (or unprivileged user
namespaces, where `unshare -rm` works); elsewhere the tests that use it are skipped with the reason.
"""
import json
import os
import resource
import subprocess

import pytest

from conftest import ATOMIC_PY, PYTHON

PAGE = os.sysconf("SC_PAGE_SIZE")


def _namespace_command():
    """The unshare command that gives a private mount namespace here, or None."""
    candidates = [["unshare", "-m", "--propagation", "private"]] if os.geteuid() == 0 else []
    candidates.append(["unshare", "-r", "-m", "--propagation", "private"])
    for command in candidates:
        try:
            probe = subprocess.run(command + ["sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        except OSError:
            return None
        if probe.returncode == 0:
            return command
    return None


_probe = {}


def namespace_command():
    if "command" not in _probe:
        _probe["command"] = _namespace_command()
    return _probe["command"]


class SmallDisk:
    """A tmpfs of `size` bytes (and `inodes` inodes) over `mountpoint`, seen only by processes
    started through run()/start(). close() ends the namespace and with it the mount."""

    def __init__(self, mountpoint, size=256 * 1024, inodes=None):
        command = namespace_command()
        if command is None:
            pytest.skip("no private mount namespace here (needs root or unprivileged user namespaces)")
        os.makedirs(mountpoint, exist_ok=True)
        self.mountpoint = str(mountpoint)
        options = "size=%d,mode=0700" % size + (",nr_inodes=%d" % inodes if inodes else "")
        self._user_ns = "-r" in command
        script = 'mount -t tmpfs -o "$1" tmpfs "$2" && echo ready && exec cat'
        self.holder = subprocess.Popen(command + ["sh", "-c", script, "sh", options, self.mountpoint],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if self.holder.stdout.readline() != b"ready\n":
            self.close()
            pytest.fail("could not mount a tmpfs in a private namespace")

    def path(self, *parts):
        """The host's way to a file on the small disk."""
        return os.path.join("/proc/%d/root" % self.holder.pid, self.mountpoint.lstrip("/"), *parts)

    def inside(self, *parts):
        """The same file as atomic (inside the namespace) names it."""
        return os.path.join(self.mountpoint, *parts)

    def write_auth(self, data):
        """agent/auth.json on the small disk (0600, 2-space JSON); its bytes."""
        path = self.path("agent", "auth.json")
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
        os.chmod(path, 0o600)
        with open(path, "rb") as f:
            return f.read()

    def read_auth_bytes(self):
        with open(self.path("agent", "auth.json"), "rb") as f:
            return f.read()

    def free(self):
        st = os.statvfs(self.path())
        return st.f_bavail * st.f_frsize

    def fill(self, leave=0):
        """Take every free byte but `leave` (whole pages), with one filler file."""
        filler = self.path(".filler")
        with open(filler, "ab") as f:
            want = self.free() - leave
            if want > 0:
                os.posix_fallocate(f.fileno(), os.fstat(f.fileno()).st_size, want)
        assert self.free() == leave, (self.free(), leave)

    def make_room(self):
        try:
            os.unlink(self.path(".filler"))
        except FileNotFoundError:
            pass

    def remount_read_only(self):
        self._nsenter(["mount", "-o", "remount,ro", self.mountpoint], check=True)

    def _nsenter(self, command, **kwargs):
        prefix = ["nsenter", "--mount=/proc/%d/ns/mnt" % self.holder.pid]
        if self._user_ns:
            prefix = ["nsenter", "-t", str(self.holder.pid), "-U", "-m", "--preserve-credentials"]
        return subprocess.run(prefix + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)

    def run(self, args, env, input=None, timeout=60, **popen):
        """`atomic ARGS` inside the namespace; a CompletedProcess with text output."""
        if isinstance(input, str):
            input = input.encode("utf-8")
        if input is None:
            popen.setdefault("stdin", subprocess.DEVNULL)
        result = self._nsenter([PYTHON, ATOMIC_PY] + [str(a) for a in args], env=env, input=input,
                               timeout=timeout, **popen)
        result.stdout = result.stdout.decode("utf-8", "replace")
        result.stderr = result.stderr.decode("utf-8", "replace")
        return result

    def close(self):
        if self.holder.poll() is None:
            self.holder.stdin.close()
            self.holder.wait(timeout=10)
        self.holder.stdout.close()


def file_size_limit(limit):
    """preexec_fn: a file-size limit (`ulimit -f`) of `limit` bytes for the child."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply

