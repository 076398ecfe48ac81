"""Paging Zendesk's exports: one paginator per API style (Zendesk's "Incremental Exports" reference).

- cursor-based incremental exports (tickets, users): each page has `after_cursor` and
  `end_of_stream`; the next page is `?cursor=<after_cursor>`, and the last page's cursor is
  where the next run resumes;
- time-based incremental exports (ticket events): each page has `end_time`, `next_page` and
  `end_of_stream`; the next run starts at the last `end_time`;
- cursor pagination of plain lists (groups): `meta.has_more` and `links.next`;
- Help Center cursor pagination (CSAT survey responses): `page[after]` from `meta.after_cursor`
  while `meta.has_more` (the last page has a cursor too).
"""

from __future__ import annotations

from typing import Any

from dlt.sources.helpers.rest_client.paginators import BasePaginator, BaseNextUrlPaginator
from requests import Request, Response


class ExportCursorPaginator(BasePaginator):
    """Cursor-based incremental export: follow `after_cursor` until `end_of_stream`."""

    def __init__(self) -> None:
        super().__init__()
        self.after_cursor: str | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        page = response.json()
        self.after_cursor = page.get("after_cursor") or self.after_cursor
        self._has_next_page = not page["end_of_stream"] and bool(page.get("after_cursor"))

    def update_request(self, request: Request) -> None:
        request.params = {key: value for key, value in (request.params or {}).items() if key != "start_time"}
        request.params["cursor"] = self.after_cursor


class ExportTimePaginator(BaseNextUrlPaginator):
    """Time-based incremental export: follow `next_page` until `end_of_stream`; remember `end_time`."""

    def __init__(self) -> None:
        super().__init__()
        self.end_time: int | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        page = response.json()
        self.end_time = page.get("end_time", self.end_time)
        self._next_reference = None if page["end_of_stream"] else page.get("next_page")


class ListCursorPaginator(BaseNextUrlPaginator):
    """Cursor pagination of a plain list: `links.next` while `meta.has_more`."""

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        page = response.json()
        self._next_reference = page["links"]["next"] if page["meta"]["has_more"] else None


class HelpCenterCursorPaginator(BasePaginator):
    """Help Center cursor pagination: `page[after]` = `meta.after_cursor` while `meta.has_more`."""

    def __init__(self) -> None:
        super().__init__()
        self.after_cursor: str | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        meta = response.json()["meta"]
        self.after_cursor = meta.get("after_cursor")
        self._has_next_page = bool(meta.get("has_more") and self.after_cursor)

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "page[after]": self.after_cursor}
