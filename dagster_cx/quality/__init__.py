"""Data-quality gate: Great Expectations suites run against warehouse tables."""
