"""atomic on a pseudo-terminal of a given size that is its controlling terminal (so getpass,
the login menu and `atomic models` see a real terminal)."""
import fcntl
import os
import select
import struct
import subprocess
import termios
import time

from conftest import ATOMIC_PY, PYTHON


class Terminal:
    """stdin and stderr (and, with stdout_too, stdout) on a pty of rows x columns."""

    def __init__(self, args, env, rows=24, columns=80, stdout_too=False):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.proc = subprocess.Popen(
            [PYTHON, ATOMIC_PY] + list(args), env=dict(env, TERM="dumb"), stdin=slave, stderr=slave,
            stdout=slave if stdout_too else subprocess.PIPE, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.seen = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        os.close(self.master)

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:                        # EIO: the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def expect(self, text, timeout=20, after=0):
        """Everything seen so far, once `text` has appeared (at or after byte offset `after`)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen[after:]:
            assert time.monotonic() < deadline, self.seen.decode("utf-8", "replace")
            if not self._read(0.1) and self.proc.poll() is not None:
                raise AssertionError("exited before %r: %s" % (text, self.seen.decode("utf-8", "replace")))
        return self.seen.decode("utf-8", "replace")

    def then(self, text, timeout=20):
        """Wait for text, then return the byte offset just after it: `expect(X, after=...)`
        then waits for an X shown after it (a question asked again)."""
        self.expect(text, timeout)
        return self.seen.rfind(text.encode()) + len(text.encode())

    def write(self, text):
        os.write(self.master, text.encode())

    def finish(self, timeout=20):
        """(exit code, everything the terminal showed); reads on while waiting, so a child
        with much to write never blocks on a full terminal."""
        deadline = time.monotonic() + timeout
        while self._read(0.1) or self.proc.poll() is None:
            assert time.monotonic() < deadline, self.seen.decode("utf-8", "replace")[-2000:]
        while self._read(0.1):
            pass
        return self.proc.wait(), self.seen.decode("utf-8", "replace")
