"""Wide survey exports (one row per response, one column per question) read into records.

SurveyMonkey, Google Forms, Typeform, Medallia and most tools export this shape, with one
header row or more (SurveyMonkey puts the question in the first and the choice or "Response"
in the second). A column's name is its header cells joined with " / ", the first row's
carried over blank cells (a matrix question heads only its first column), so a mapping can
name every column; draft.py writes those names. A name repeated gets " #2", " #3".
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from dagster_cx.sources.surveys.mapping import Record, blank_to_none

NAME_JOINER = " / "
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class ExportFileError(ValueError):
    """An export file that cannot be read at all; nothing of it is loaded."""


@dataclass(frozen=True)
class WideExport:
    records: list[Record]
    columns: list[str]


def read_wide(path: Path, header_rows: int = 1, delimiter: str | None = None, encoding: str | None = None
              ) -> WideExport:
    """Records keyed by column name (header cells joined); a ragged row makes the whole file unreadable."""
    rows = read_rows(path, encoding, delimiter or ("\t" if path.suffix.lower() == ".tsv" else ","))
    if len(rows) < header_rows:
        raise ExportFileError(f"{path}: has {len(rows)} line(s) but the mapping says {header_rows} header row(s); "
                              "check header_rows in the mapping.")
    columns = column_names(rows[:header_rows])
    records = []
    for number, row in enumerate(rows[header_rows:], start=header_rows + 1):
        if len(row) != len(columns):
            raise ExportFileError(f"{path}: line {number} has {len(row)} cells for {len(columns)} columns; check the "
                                  "delimiter and header_rows in the mapping, or export the file again.")
        records.append({name: blank_to_none(cell) for name, cell in zip(columns, row, strict=True)})
    return WideExport(records, columns)


def column_names(header: list[list[str]]) -> list[str]:
    """One name per column from the header rows: non-empty cells joined, the first row carried right."""
    width = max(len(row) for row in header)
    carried, names = "", []
    for index in range(width):
        cells = [row[index].strip() if index < len(row) else "" for row in header]
        carried = cells[0] or carried
        names.append(NAME_JOINER.join(part for part in [carried, *cells[1:]] if part))
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return unique


def read_rows(path: Path, encoding: str | None, delimiter: str) -> list[list[str]]:
    """Every line of a delimited text file as cells (quoted cells may hold delimiters, quotes and line breaks)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExportFileError(f"{path}: cannot be read ({error}).") from error
    encoding = encoding or next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ExportFileError(f"{path}: is not {encoding} text ({error}); export it as UTF-8, or name its encoding in "
                              "the mapping (encoding: cp1250).") from error
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise ExportFileError(f"{path}: is not a well-formed delimited file ({error}); export it again.") from error
    return [row for row in rows if row]
