"""Seeded, vectorised generator of realistic CX data in exactly the raw contract's shape.

Why it exists: the warehouse has to be developed, tested and demonstrated on data that has
the awkward parts of real exports (three languages and scripts, queue time zones across a
daylight-saving change, IVR-only, abandoned, reopened and repeat contacts, a column added
to the contract after the first export (priority), status histories and conversations of
ticket-like contacts that mostly agree to the second with the contacts' own timestamps and
sometimes not (a reopen the record missed, a bot's answer it took for the first reply), skipped
survey questions, bad rows the loader must quarantine) *and* a known truth to test against:
the key-driver weights and R^2 planted in the survey answers are module constants
(driver_model) and are written to MANIFEST.json next to the files, as is every planted bad
row. The same seed gives byte-identical files (nothing depends on the clock); numpy and
pyarrow do all per-row work, so the L size (10M contacts) is written in minutes.

One module per entity (customers, contacts, contact_history, survey_responses,
survey_answers), per shared piece (period, random_streams, zones, columns, catalog,
comments, driver_model, bad_rows) and per output format (csv_files, parquet_files,
monthly_files); generation runs them in order. The names below are the ones callers use.
"""

from dagster_cx.sample.generator.driver_model import PLANTED_R2, simulate_r2
from dagster_cx.sample.generator.generation import generate
from dagster_cx.sample.generator.period import SIZES
from dagster_cx.sample.generator.random_streams import DEFAULT_SEED

__all__ = ["DEFAULT_SEED", "PLANTED_R2", "SIZES", "generate", "simulate_r2"]
