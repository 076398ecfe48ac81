"""Raw-file ingestion: contract validation, quarantine and file-level idempotency."""
