"""The real processes, as users run them: the dashboard on a pseudo-terminal, the
headless producer and broker as plain subprocesses, and their CPU time and memory
read from ``/proc``.

Every benchmark that measures "the app as it is used" starts the same command lines a
user types (``rtd-tui``, ``rtd-tui -b ADDR``, ``rtd-tui produce``, ``rtd-tui broker``),
in an environment without the caller's ``RTD_*`` variables: only the command line sets
what is measured.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rtd_command() -> list[str]:
    """The ``rtd-tui`` script of this environment (what ``uv run rtd-tui`` starts)."""
    script = Path(sys.executable).with_name("rtd-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rtd_tui"]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``RTD_*`` variable, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("RTD_")}, **extra}


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU time so far of one process (``/proc/PID/stat``), or of one of its
    threads (``/proc/PID/task/TID/stat``), in seconds."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    stat = Path(path).read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_mb(pid: int) -> float:
    """Resident set size of one process now, in MB."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1e6


class Process:
    """A subprocess of ours in a clean environment (``clean_env`` unless ``env`` is given),
    stopped with SIGINT (then killed) when closed."""

    def __init__(self, args: list[str], **popen: object) -> None:
        popen.setdefault("env", clean_env())
        self.proc = subprocess.Popen(args, start_new_session=True, **popen)  # type: ignore[call-overload]

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class MainThread:
    """The main thread of one of our processes, read as a process is: in the dashboard it is
    the UI thread (Textual's event loop), apart from the workers and librdkafka."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.proc = process.proc

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid, self.process.pid)

    def alive(self) -> bool:
        return self.process.alive()


class Broker(Process):
    """``rtd-tui broker --engine mock``: its first line on stdout is the bootstrap address."""

    def __init__(self, topic: str = "csv-data") -> None:
        super().__init__([*rtd_command(), "broker", "--engine", "mock", "-t", topic],
                         stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            raise RuntimeError("rtd-tui broker printed no address")


def produce(bootstrap: str, *args: str) -> Process:
    """``rtd-tui produce -b BOOTSTRAP ARGS`` with its progress lines thrown away."""
    return Process([*rtd_command(), "produce", "-b", bootstrap, *args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _take_terminal() -> None:
    """In the child, already in a session of its own: the pty on fd 0 becomes its
    controlling terminal. If the harness dies, the kernel closes the master, hangs the
    terminal up and sends the dashboard SIGHUP: nothing is left running unseen."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal(Process):
    """``rtd-tui ARGS`` on a pseudo-terminal of a fixed size, its controlling terminal; its
    output is read all the time (a full pty would block the app) and handed to
    ``on_output`` with its arrival time."""

    def __init__(self, args: list[str], size: tuple[int, int] = (160, 50),
                 on_output: Callable[[bytes, float], None] | None = None) -> None:
        master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self._logs = tempfile.mkdtemp(prefix="rtd-bench-")
        env = clean_env(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        super().__init__([*rtd_command(), *args, "--log-file", f"{self._logs}/rtd.log"],
                         stdin=slave, stdout=slave, stderr=slave, env=env,
                         preexec_fn=_take_terminal)
        os.close(slave)
        self.master = master
        self.received = 0
        self.on_output = on_output
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self.received += len(chunk)
            if self.on_output is not None:
                self.on_output(chunk, time.monotonic())

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_output(self, minimum: int = 1000, timeout: float = 30.0) -> None:
        """Wait until the app has drawn at least ``minimum`` bytes (it has started)."""
        deadline = time.monotonic() + timeout
        while self.received < minimum:
            if not self.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"rtd-tui {self.proc.args[1:]} did not draw its screen")
            time.sleep(0.1)

    def close(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> None:
        if self.alive():
            self.send("q")
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                super().close(signal.SIGTERM, timeout)
        super().close(signal.SIGKILL, timeout)
        self._stop.set()
        self._reader.join(2)
        os.close(self.master)
        shutil.rmtree(self._logs, ignore_errors=True)


def cpu_window(processes: list[Process | MainThread], seconds: float) -> list[float]:
    """Each process's CPU time over the next ``seconds`` of wall time, as % of one core."""
    before = [p.cpu() for p in processes]
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    for p in processes:
        if not p.alive():
            raise RuntimeError(f"{p.proc.args} ended during the measurement")
    return [(p.cpu() - b) / elapsed * 100 for p, b in zip(processes, before, strict=True)]
