"""The benchmark: full, no-new-data and incremental builds timed per stage against a DuckDB floor."""
