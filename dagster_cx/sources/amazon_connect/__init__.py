"""Amazon Connect contact records (CTRs), as Kinesis Data Firehose delivers them to a bucket.

A file drop: Firehose writes JSON records (concatenated, or one per line; gzip optional) into
date-partitioned folders (`YYYY/MM/DD/HH/`). records.py reads the files, mapping.py folds
each transfer chain (the CTRs linked by InitialContactId / PreviousContactId) into one
contract contact, source.py lands the records in the warehouse and hands the ingestion step
one batch per file.
"""
