"""CSV files as the contract reads them: a header line, quoted only where some text needs it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


def _write_csv(table: pa.Table, path: Path) -> int:
    """Write a header line and the rows, unquoted unless some text has a comma, quote or line break.

    pyarrow quotes either every string or none: the big files have no such text and stay
    unquoted and compact; the catalogs' prose gets quotes.
    """
    needs_quotes = any(pc.any(pc.match_substring_regex(column, r'[,"\r\n]')).as_py()
                       for column in table.columns if pa.types.is_string(column.type))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False,
                                                      quoting_style="needed" if needs_quotes else "none"))
    return table.num_rows
