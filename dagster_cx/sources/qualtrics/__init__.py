"""Qualtrics: the "Export data" files analysts download (export_file.py) and the API (api.py, a dlt source).

Both give one record per response keyed by Qualtrics' ImportIds (QID12, QID3_1, QID5_TEXT,
recordedDate, _recordId, embedded-data names), so one survey mapping
(dagster_cx.sources.surveys) reads either. response_types.py knows Qualtrics' previews, spam
and unfinished responses; definition.py drafts a mapping from a survey definition.
"""
