"""What is new in the inbox (CX_DATA_DIR/<entity>/, and the drop folders of file sources such as
survey exports and Amazon Connect CTRs): the files a sensor has not seen yet.

A file is known by its path, size and modification time, so a file replaced in place counts
as new (the loader then loads it only if its content, its sha256, is new). A file modified in
the last few seconds may still be being written: it waits for the next look.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.loader import discover_files

SETTLE_SECONDS = 30


@dataclass(frozen=True)
class InboxScan:
    new_files: list[str]  # relative to the data folder
    cursor: str  # every settled file seen so far, for the next scan


def _signature(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def scan_inbox(data_dir: Path, cursor: str | None, now: float | None = None,
               settle_seconds: float = SETTLE_SECONDS, drop_folders: Mapping[str, Path] | None = None) -> InboxScan:
    """Settled files whose path, size or modification time the cursor does not hold yet.

    `drop_folders`: a file source's name -> its folder; every file in it counts, at any depth
    (Firehose's CTR objects have no suffix), named `<source>:<path in the folder>`.
    """
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    now = time.time() if now is None else now
    current = dict(seen)
    new_files = []
    candidates = [(path.relative_to(data_dir).as_posix(), path)
                  for entity in ENTITIES for path in discover_files(data_dir, entity)]
    for source, folder in (drop_folders or {}).items():
        candidates += [(f"{source}:{path.relative_to(folder).as_posix()}", path) for path in _files_under(folder)]
    for name, path in candidates:
        if now - path.stat().st_mtime < settle_seconds:
            continue
        signature = _signature(path)
        if seen.get(name) != signature:
            new_files.append(name)
            current[name] = signature
    return InboxScan(sorted(new_files), json.dumps(current, sort_keys=True))


def _files_under(folder: Path) -> list[Path]:
    """Every file under the folder but hidden ones (an upload's temporary file): none if it is missing."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file()
                  and not any(part.startswith(".") for part in path.relative_to(folder).parts))
