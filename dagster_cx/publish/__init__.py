"""The published copy for BI tools: a read-only snapshot of the marts, swapped in atomically."""
