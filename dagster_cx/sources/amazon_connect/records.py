"""Reading the files Kinesis Data Firehose delivers: JSON records, concatenated or one per line, maybe gzip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"


class UnreadableCtrFile(ValueError):
    """A delivery that is not a sequence of JSON objects; nothing of it may load."""


def delivered_files(folder: Path) -> list[Path]:
    """Every delivery under the folder, in delivery order.

    Firehose names a delivery `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>` under `YYYY/MM/DD/HH/`,
    so the relative path sorts by delivery time. Hidden files (a sync tool's partials) are not deliveries.
    """
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def read_records(path: Path) -> list[dict]:
    """The CTRs of one delivery, whether gzip or not (by its first bytes: Firehose may omit the .gz suffix)."""
    data = path.read_bytes()
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise UnreadableCtrFile(f"{path}: a gzip file that does not decompress ({error})") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableCtrFile(f"{path}: not UTF-8 at byte {error.start}") from error
    return _json_objects(text, path)


def _json_objects(text: str, path: Path) -> list[dict]:
    """JSON objects one after another, separated by nothing or by white space (newlines included)."""
    decoder = json.JSONDecoder()
    records, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return records
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise UnreadableCtrFile(
                f"{path}: record {len(records) + 1} is not valid JSON ({error.msg} at character {error.pos}); "
                "the delivery may be truncated"
            ) from error
        if not isinstance(record, dict):
            raise UnreadableCtrFile(f"{path}: record {len(records) + 1} is a JSON {type(record).__name__}, not an object")
        records.append(record)
