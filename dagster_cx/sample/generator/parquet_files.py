"""Parquet files (survey answers and contact messages) with fixed schemas.

Each table is cast to its entity's schema before it is written, so every month's file has
the same column names, order and types.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_ANSWER_SCHEMA = pa.schema([("response_id", pa.string()), ("question_id", pa.string()),
                            ("answer_value", pa.float64()), ("answer_text", pa.string())])
_MESSAGE_SCHEMA = pa.schema([("message_id", pa.string()), ("contact_id", pa.string()),
                             ("author_role", pa.string()), ("author_id", pa.string()), ("is_public", pa.bool_()),
                             ("sent_at", pa.string())])
_PARQUET_SCHEMAS = {"survey_answers": _ANSWER_SCHEMA, "contact_messages": _MESSAGE_SCHEMA}


def _write_parquet(table: pa.Table, path: Path, schema: pa.Schema = _ANSWER_SCHEMA) -> int:
    """Write a Parquet file (pyarrow writes no timestamps into the metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.cast(schema), path, compression="zstd")
    return table.num_rows
