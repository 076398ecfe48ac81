"""Zendesk Support through its API: tickets, their events, users and groups, landed with dlt.

credentials.py signs each request with the e-mail and API token read from the environment
at that moment (the source object holds neither); paginators.py pages Zendesk's two
incremental export styles; api.py is the dlt source (the vendor's shape, landed as it is into
the warehouse schema `zendesk`); mapping.py turns one dlt load into contract rows; source.py
ties them to the ingestion step.
"""
