"""One pass over a file's bytes before it is read: its hash, and signs that it is not a whole text file.

The hash identifies the file (a re-sent copy loads nothing). The same pass counts NUL bytes,
which no UTF-8 CSV holds (a UTF-16 "Unicode text" export or a binary file does), and quote
characters, whose count is odd when a cut ended the file inside a quoted value. A file cut
mid-record by an interrupted upload or copy would otherwise load its complete rows and
quarantine the cut one: the run would succeed with part of the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
PARQUET_MAGIC = b"PAR1"
# How far back from the end a CSV's last record is looked for (a longer last record is not judged).
TAIL_BYTES = 1 << 20


@dataclass(frozen=True)
class FileScan:
    sha256: str
    size: int
    nul_bytes: int
    first_nul_at: int | None
    quotes: int
    ends_with_line_break: bool


def scan_file(path: Path) -> FileScan:
    digest = hashlib.sha256()
    size = nul_bytes = quotes = 0
    first_nul_at = None
    last = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            nuls = chunk.count(b"\0")
            if nuls and first_nul_at is None:
                first_nul_at = size + chunk.find(b"\0")
            nul_bytes += nuls
            quotes += chunk.count(b'"')
            size += len(chunk)
            last = chunk[-1:]
    return FileScan(digest.hexdigest(), size, nul_bytes, first_nul_at, quotes, last == b"\n")


def csv_problem(path: Path, scan: FileScan) -> str | None:
    """Why a CSV file cannot be read whole, or None: NUL bytes, or an end inside a record."""
    if scan.nul_bytes:
        return (f"the file holds {scan.nul_bytes:,} NUL byte(s), the first at byte {scan.first_nul_at:,}: it is not "
                "UTF-8 text (a UTF-16 'Unicode text' export or a binary file?); re-export it as a UTF-8 CSV")
    if scan.size == 0 or scan.ends_with_line_break:
        return None
    truncated = "the file looks truncated (an interrupted upload or copy?): "
    if scan.quotes % 2:
        return truncated + "it ends inside a quoted value; the complete file loads when it arrives"
    fields = _last_record_fields(path, scan.size)
    expected = _header_fields(path)
    if fields is not None and fields < expected:
        return (truncated + f"it has no final line break and its last record has {fields} of the header's {expected} "
                "fields; the complete file loads when it arrives")
    return None


def parquet_problem(path: Path, scan: FileScan) -> str | None:
    """A Parquet file starts and ends with its magic bytes; without the footer it was cut short."""
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(max(scan.size - 4, 0))
        tail = handle.read(4)
    if head == PARQUET_MAGIC and tail != PARQUET_MAGIC:
        return ("the file looks truncated (an interrupted upload or copy?): it has no Parquet footer; "
                "the complete file loads when it arrives")
    return None


def _header_fields(path: Path) -> int:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        return len(next(csv.reader(handle), []))


def _last_record_fields(path: Path, size: int) -> int | None:
    """Fields of the last record: it starts after the last line break outside quotes, which is
    the last one followed by an even number of quote characters (the file's count is even)."""
    with path.open("rb") as handle:
        handle.seek(max(size - TAIL_BYTES, 0))
        tail = handle.read()
    position = len(tail)
    while (position := tail.rfind(b"\n", 0, position)) != -1:
        if tail.count(b'"', position + 1) % 2 == 0:
            record = tail[position + 1:].decode("utf-8", errors="replace")
            return len(next(csv.reader(io.StringIO(record, newline="")), []))
    return None
