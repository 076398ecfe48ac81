"""Seeded generator of realistic sample data in the raw contract's shape."""
