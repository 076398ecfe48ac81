"""Qualtrics' "Export data" CSV and TSV files, as analysts download them, read into records.

Three header rows: the column names (`ResponseId`, `Q3_1`, embedded-data names), the question
texts, and the ImportId of each column as JSON (`{"ImportId":"QID3_1"}`, and for times
`{"ImportId":"startDate","timeZone":"Europe/Warsaw"}`). Records are keyed by ImportId, which
the API uses too, so one mapping serves both. Values are the recode numbers or the choice
labels, whichever the analyst chose. CSV exports are UTF-8 with a byte-order mark, TSV
exports UTF-16; cells may hold quotes and line breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster_cx.sources.surveys.mapping import Record, blank_to_none
from dagster_cx.sources.surveys.wide_files import ExportFileError, read_rows

_IMPORT_ID = re.compile(r'"?ImportId"?\s*:\s*"?([^",}]+)')
_TIME_ZONE = re.compile(r'"?timeZone"?\s*:\s*"?([^",}]+)')


@dataclass(frozen=True)
class QualtricsExport:
    records: list[Record]  # one per response, keyed by ImportId
    import_ids: list[str]
    texts: dict[str, str]  # ImportId -> question text (the second header row)
    names: dict[str, str]  # ImportId -> column name (the first header row)
    time_zone: ZoneInfo | None  # the zone the export's times are written in, as it states


def read_export(path: Path, encoding: str | None = None) -> QualtricsExport:
    """Read an export file; ExportFileError says why it is not one and what to do."""
    rows = read_rows(path, encoding, "\t" if path.suffix.lower() == ".tsv" else ",")
    if len(rows) < 3:
        raise ExportFileError(f"{path}: has {len(rows)} line(s), not the three header rows of a Qualtrics export; "
                              "download it again with Data & Analysis > Export data (CSV or TSV).")
    names, texts, id_cells = rows[0], rows[1], rows[2]
    import_ids = [_match(_IMPORT_ID, cell) for cell in id_cells]
    if sum(i is not None for i in import_ids) < len(id_cells) / 2:
        raise ExportFileError(f"{path}: its third row holds no ImportIds ({id_cells[:3]}...), so it is not a Qualtrics "
                              "export in the current format; export without 'Use legacy format', or map it as a wide "
                              "export (format: wide, header_rows: 1).")
    keys = [import_id or name for import_id, name in zip(import_ids, names, strict=True)]
    zones = {_match(_TIME_ZONE, cell) for cell in id_cells} - {None}
    if len(zones) > 1:
        raise ExportFileError(f"{path}: its times are stated in several zones ({', '.join(sorted(zones))}); export "
                              "again with one time zone.")
    records = []
    for number, row in enumerate(rows[3:], start=4):
        if len(row) != len(keys):
            raise ExportFileError(f"{path}: line {number} has {len(row)} cells for {len(keys)} columns; the file is "
                                  "cut or edited by hand: download it again.")
        records.append({key: blank_to_none(cell) for key, cell in zip(keys, row, strict=True)})
    return QualtricsExport(records, keys, dict(zip(keys, texts, strict=True)), dict(zip(keys, names, strict=True)),
                           _zone(path, zones))


def _match(pattern: re.Pattern, cell: str) -> str | None:
    found = pattern.search(cell)
    return found.group(1).strip() if found else None


def _zone(path: Path, zones: set[str]) -> ZoneInfo | None:
    if not zones:
        return None
    name = zones.pop()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ExportFileError(f"{path}: states the time zone {name!r}, which is not an IANA zone this machine knows; "
                              "export again in a zone such as UTC or Europe/Warsaw.") from error
