"""A BI-like reader for the publishing test: reads the published snapshot in a loop.

Run as a separate process. Each pass opens the file read-only, checks that every table
holds the row count the snapshot recorded (a partial snapshot would not), and writes one
JSON line per pass. It stops when the stop file appears or after its time limit.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def read_once(database: Path) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:
        run_id, recorded = con.execute("select run_id, row_counts from main.snapshot_info").fetchall()[0]
        recorded = json.loads(recorded)
        actual = {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0] for t in recorded}
    return {"run_id": run_id, "consistent": actual == recorded, "tables": len(actual)}


def main(database: Path, stop_file: Path, out_file: Path, limit_seconds: float) -> None:
    deadline = time.monotonic() + limit_seconds
    with out_file.open("w") as out:
        while not stop_file.exists() and time.monotonic() < deadline:
            try:
                line = read_once(database)
            except Exception as error:  # every failure is the finding: record it, keep reading
                line = {"error": f"{type(error).__name__}: {error}"}
            out.write(json.dumps(line) + "\n")
            out.flush()
            time.sleep(0.02)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
