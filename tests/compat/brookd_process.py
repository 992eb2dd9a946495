"""brookd as a child process of a compat test: on a free loopback port, with a data folder and a
log file in the test's work folder, started, killed (SIGKILL) and stopped (SIGTERM) as often as
the test wants, always on the same port and data. The child dies with the test (PDEATHSIG)."""

import ctypes
import os
import random
import signal
import socket
import subprocess
import time


def pick_port(low=31000, high=32000):
    """A port of [low, high) that nothing listens on now; BROOK_TEST_PORTS=LOW-HIGH (inclusive)
    gives another range, for machines where several runs share the ports."""
    if os.environ.get("BROOK_TEST_PORTS"):
        low, high = (int(x) for x in os.environ["BROOK_TEST_PORTS"].split("-"))
        high += 1
    candidates = list(range(low, high))
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high - 1}")


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class BrookdProcess:
    def __init__(self, binary, work, overrides=(), port=None):
        self.binary = binary
        self.port = port or pick_port()
        self.data = os.path.join(work, "brookd-data")
        self.log_path = os.path.join(work, "brookd.log")
        self.overrides = [f"listeners=PLAINTEXT://127.0.0.1:{self.port}",
                          f"log.dirs={self.data}", *overrides]
        self.proc = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def log_lines(self):
        with open(self.log_path, errors="replace") as f:
            return f.readlines()

    def start(self, timeout=60):
        """Starts brookd and returns once its port accepts connections."""
        argv = [self.binary]
        for o in self.overrides:
            argv.extend(("--override", o))
        with open(self.log_path, "a") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        until = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < until:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"brookd did not come up on port {self.port}; see {self.log_path}")

    def kill9(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self, timeout=60):
        """SIGTERM; brookd's exit code, or None when it had to be killed."""
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
