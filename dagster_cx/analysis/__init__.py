"""Statistical analyses computed in Python over the marts (numpy only, no dagster here)."""
