"""The CX report: a self-contained HTML page and chart exports from the published snapshot."""
