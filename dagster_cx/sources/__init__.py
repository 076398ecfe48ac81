"""Sources other than files in the raw contract: survey tools, ticketing systems, voice platforms.

Each source system has a folder of its own here. Its vendor records land as they are, then
one tested mapping turns them into the contract's rows, which pass the same gate as files
(dagster_cx.ingest.loader.load_batch): contract checks, quarantine, waiting rows, the load log.
An API source lands through dlt into a schema of the warehouse named after it (landing.py);
a file drop (an export analysts download, records a vendor delivers to a bucket) is read
where it lies. batches.py is the contract between a source and the ingestion step.
"""
