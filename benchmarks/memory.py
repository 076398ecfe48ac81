"""Peak memory of a process tree: RSS of a process and all its children, sampled by a thread.

RSS is summed over the processes (the Python process, the dbt subprocess, ...), so pages
shared between them count once per process: an upper bound, like `ps` summed over the tree.
"""

from __future__ import annotations

import threading
import time

import psutil

MIB = 1024 * 1024


class TreeSampler:
    """Samples (time, tree RSS in bytes) of one process every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            self.samples.append((time.time(), _tree_rss(root)))
            self._stop.wait(self.interval)

    def peak_mib(self, start: float | None = None, end: float | None = None) -> float | None:
        """Largest sample within [start, end] (widened by one interval so a short step gets its neighbours)."""
        lo = -float("inf") if start is None else start - self.interval
        hi = float("inf") if end is None else end + self.interval
        inside = [rss for at, rss in self.samples if lo <= at <= hi]
        return round(max(inside) / MIB, 1) if inside else None


def _tree_rss(root: psutil.Process) -> int:
    """RSS of the process and its descendants; processes that end meanwhile count as zero."""
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total
