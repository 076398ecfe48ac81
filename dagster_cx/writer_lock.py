"""One writer at a time per warehouse, across processes: a cron run, a person's run, the UI's.

DuckDB lets one process write a file; a second writer fails half-way with "Could not set lock".
So every process that writes the warehouse first takes `<warehouse>.lock`, an operating-system
file lock (filelock) that the system releases when its holder exits, killed or not, and writes
who it is beside it (`<warehouse>.lock.json`). A process that finds the lock taken says who
holds it, waits up to CX_WRITER_LOCK_TIMEOUT seconds, and then stops with an error that names
the holder. Within one process the lock is re-entrant: the CLI takes it for a whole run,
summary included, and the Dagster resource that opens the warehouse takes it again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import filelock

DEFAULT_TIMEOUT_SECONDS = 3600.0
log = logging.getLogger(__name__)


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse for longer than this one would wait."""


def timeout_seconds() -> float:
    """How long a writer waits for the warehouse (CX_WRITER_LOCK_TIMEOUT, seconds; default an hour)."""
    configured = os.environ.get("CX_WRITER_LOCK_TIMEOUT", "").strip()
    if not configured:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(configured)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise ValueError(f"CX_WRITER_LOCK_TIMEOUT={configured!r} is not a number of seconds >= 0; "
                         "set it to e.g. 600, or unset it.")
    return seconds


def _lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _holder_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock.json")


def holder(warehouse: Path) -> str:
    """Who holds the warehouse, as its holder wrote it: 'cx-warehouse run (pid 812 on host, since 05:00:03 UTC)'."""
    try:
        info = json.loads(_holder_path(warehouse).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "another process (it has not said who it is)"
    return f"{info['command']} (pid {info['pid']} on {info['host']}, since {info['since']})"


@contextmanager
def writing(warehouse: Path, who: str, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block, as `who` ('cx-warehouse run', 'Dagster run 1a2b3c4d');
    wait for another holder, saying so."""
    say = say or log.warning
    lock = filelock.FileLock(_lock_path(warehouse), thread_local=False, is_singleton=True)
    outermost = not lock.is_locked
    if outermost:
        _acquire(lock, warehouse, who, say)
    else:
        lock.acquire()  # re-entrant within this process: only counts
    try:
        yield
    finally:
        if outermost:
            _holder_path(warehouse).unlink(missing_ok=True)
        lock.release()


def _acquire(lock: filelock.BaseFileLock, warehouse: Path, who: str, say: Callable[[str], None]) -> None:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        limit = timeout_seconds()
        busy = holder(warehouse)
        say(f"The warehouse {warehouse} is being written by {busy}; waiting up to {limit:g} s for it "
            "(CX_WRITER_LOCK_TIMEOUT) ...")
        try:
            lock.acquire(timeout=limit)
        except filelock.Timeout:
            raise WarehouseBusy(
                f"The warehouse {warehouse} was still being written by {busy} after {limit:g} s. Nothing was "
                "loaded or built by this run. Let that run finish (or stop it) and run again; raise "
                "CX_WRITER_LOCK_TIMEOUT to wait longer."
            ) from None
        say(f"The warehouse is free now; going on after {busy} finished.")
    _holder_path(warehouse).write_text(json.dumps({
        "command": who, "pid": os.getpid(), "host": socket.gethostname(),
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }), encoding="utf-8")

