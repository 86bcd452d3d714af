"""Child processes of the harness: started in their own session, all killed at exit.

Every server the harness starts (tandem-server, git daemon, svnserve, node) goes
through `Children.start`, so an exception or Ctrl-C ends them all (by process
group id, since git daemon and svnserve fork workers). Single-threaded use.
"""

import os
import re
import signal
import socket
import subprocess
import time


class Children:
    def __init__(self):
        self._procs = []

    def start(self, argv, log_path, env=None, cwd=None):
        log = open(log_path, "ab")
        offset = log.tell()
        try:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=cwd, start_new_session=True)
        finally:
            log.close()
        proc.log_path = log_path
        proc.log_offset = offset  # a restart appends: look for readiness after this
        self._procs.append(proc)
        return proc

    def stop(self, proc, timeout=30.0):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        else:
            # The leader is gone; its workers may not be.
            _signal_group(proc, signal.SIGKILL)
        if proc in self._procs:
            self._procs.remove(proc)
        return proc.returncode

    def stop_all(self):
        for proc in list(reversed(self._procs)):
            try:
                self.stop(proc, timeout=5.0)
            except OSError:
                pass


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the child's pid
    except ProcessLookupError:
        pass


def wait_for_log(proc, pattern, timeout=30.0):
    """Waits until the child's log matches `pattern`; returns the match."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(proc.log_path, "rb") as f:
            f.seek(proc.log_offset)
            m = rx.search(f.read().decode(errors="replace"))
        if m:
            return m
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before it was ready; "
                               f"log: {proc.log_path}\n{tail(proc.log_path)}")
        time.sleep(0.02)
    raise RuntimeError(f"{proc.args[0]} not ready after {timeout:.0f} s; log: {proc.log_path}")


def wait_for_port(port, proc=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}; log: {proc.log_path}\n"
                                   f"{tail(proc.log_path)}")
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=20):
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def peak_rss_mb(pid):
    """VmHWM of a running process in MB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def du_bytes(path):
    """Bytes allocated on disk under `path` (like du -s, in bytes)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_blocks * 512
    return total


def run(argv, timeout=None, **kw):
    """subprocess.run that raises with the command's output on failure."""
    r = subprocess.run(argv, capture_output=True, timeout=timeout, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({r.returncode}):\n"
                           f"{r.stderr.decode(errors='replace')[-2000:]}")
    return r
