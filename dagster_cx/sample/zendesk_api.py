"""A local stand-in for Zendesk Support's API, written from Zendesk's published API reference.

It serves a Zendesk account's records (the shape `cx-warehouse generate --format zendesk`
writes) on 127.0.0.1 the way the real endpoints page them, so the Zendesk source runs offline:
- cursor-based incremental exports (`/api/v2/incremental/tickets/cursor.json` with
  `include=metric_sets`, `/api/v2/incremental/users/cursor.json`): `start_time` or `cursor`,
  `per_page`; pages carry `after_cursor`, `after_url` and `end_of_stream`, and the last
  cursor resumes later (an item updated again moves behind it);
- the time-based exports of ticket events and organizations (`/api/v2/incremental/ticket_events.json`,
  `/api/v2/incremental/organizations.json`): `start_time`, `per_page`; pages carry `next_page`,
  `end_time`, `count`, `end_of_stream`;
- `/api/v2/groups.json` and `/api/v2/satisfaction_ratings.json`: cursor pagination (`page[size]`,
  `meta.has_more`, `links.next`); ratings changed since `start_time` (Unix s), oldest change first;
- `/api/v2/guide/survey_responses` (the CSAT survey responses of Zendesk's updated CSAT): created
  since `filter[created_at_start]` (Unix ms), Help Center cursor pages (`page[size]`, `page[after]`,
  `meta.has_more`, `meta.after_cursor`, which the last page carries too);
- `/api/v2/business_hours/schedules.json` and `.../schedules/{id}/holidays.json`: every schedule
  (or holiday of the schedule) in one response, unpaged as the reference has them; 404 for an
  unknown schedule (records `schedules`, and `schedule_holidays` naming their `schedule_id`);
- `/api/v2/slas/policies`: every SLA policy in one response, by position (`next_page` null), as
  the SLA Policies reference lists them; 403 where the records hold no `sla_policies` (a plan
  without SLA policies: Professional and above have them);
- API-token basic auth (401 otherwise) and rate limiting: a 429 with `Retry-After` when told to.
Deleted tickets stay in the export with status `deleted`, as the reference documents.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

CURSOR_EXPORTS = {"/api/v2/incremental/tickets/cursor.json": "tickets", "/api/v2/incremental/users/cursor.json": "users"}
EVENTS_EXPORT = "/api/v2/incremental/ticket_events.json"
TIME_EXPORTS = {EVENTS_EXPORT: "ticket_events", "/api/v2/incremental/organizations.json": "organizations"}
LISTS = {"/api/v2/groups.json": "groups", "/api/v2/satisfaction_ratings.json": "satisfaction_ratings"}
SURVEY_RESPONSES = "/api/v2/guide/survey_responses"
OFFERED_AT = "_offered_at"  # a fake record's creation moment: the filter reads it, the API's shape carries none
SLA_POLICIES = "/api/v2/slas/policies"
MAX_PAGE = 1000
SCHEDULES_PATH = "/api/v2/business_hours/schedules.json"
HOLIDAYS_PATH = re.compile(r"/api/v2/business_hours/schedules/(?P<schedule_id>\d+)/holidays\.json")


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).timestamp())


class FakeZendesk:
    """An account's records and the server that pages them; change `records` between runs to simulate activity."""

    def __init__(self, records: dict[str, list[dict]], email: str, token: str, page_size: int = MAX_PAGE) -> None:
        self.records = records
        self.page_size = page_size
        self.expected_auth = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.rate_limited: dict[str, int] = {}  # path -> Retry-After seconds of the next request to it
        self.requests: list[str] = []  # every path and query asked for, in order
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path, email: str, token: str, page_size: int = MAX_PAGE) -> FakeZendesk:
        return cls(json.loads(path.read_text()), email, token, page_size)

    def upsert(self, kind: str, record: dict) -> None:
        """Add a record, or replace the one with its id (a ticket updated since)."""
        with self._lock:
            self.records[kind] = [r for r in self.records.get(kind, []) if r["id"] != record["id"]] + [record]

    @contextmanager
    def serving(self, port: int = 0) -> Iterator[str]:
        """Serve on 127.0.0.1 (a free port by default) in a thread; yields the base URL."""
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    def respond(self, path: str, query: dict[str, str], base_url: str) -> tuple[int, dict[str, str], dict]:
        """(status, headers, body) for one GET."""
        with self._lock:
            self.requests.append(f"{path}?{urlencode(query)}")
            if path in self.rate_limited:
                wait = self.rate_limited.pop(path)
                return 429, {"Retry-After": str(wait)}, {"error": "APIRateLimitExceeded",
                                                         "description": "Number of allowed API requests per minute exceeded"}
            size = min(int(query.get("per_page") or query.get("page[size]") or self.page_size), self.page_size)
            if path in CURSOR_EXPORTS:
                return 200, {}, self._cursor_page(CURSOR_EXPORTS[path], path, query, size, base_url)
            if path in TIME_EXPORTS:
                return 200, {}, self._time_page(TIME_EXPORTS[path], path, query, size, base_url)
            if path in LISTS:
                return 200, {}, self._list_page(LISTS[path], path, query, size, base_url)
            if path == SURVEY_RESPONSES:
                return 200, {}, self._survey_responses_page(query, size)
            if (schedules := self._schedules_response(path)) is not None:
                return schedules
            if path == SLA_POLICIES and "sla_policies" in self.records:
                return 200, {}, self._sla_policies()
            if path == SLA_POLICIES:
                return 403, {}, {"error": "Forbidden", "description": "You do not have access to this page."}
        return 404, {}, {"error": "InvalidEndpoint", "description": "Not found"}

    def _cursor_page(self, kind: str, path: str, query: dict, size: int, base_url: str) -> dict:
        ordered = sorted(self.records.get(kind, []), key=lambda r: (_epoch(r["updated_at"]), r["id"]))
        if "cursor" in query:
            after = tuple(int(x) for x in base64.b64decode(query["cursor"]).decode().split(":"))
            remaining = [r for r in ordered if (_epoch(r["updated_at"]), r["id"]) > after]
        else:
            remaining = [r for r in ordered if _epoch(r["updated_at"]) >= int(query.get("start_time", 0))]
        page = remaining[:size]
        if page:
            cursor = base64.b64encode(f"{_epoch(page[-1]['updated_at'])}:{page[-1]['id']}".encode()).decode()
        else:
            cursor = query.get("cursor") or base64.b64encode(f"{int(query.get('start_time', 0)) - 1}:0".encode()).decode()
        body: dict[str, Any] = {
            kind: page, "after_cursor": cursor, "before_cursor": None, "before_url": None,
            "after_url": f"{base_url}{path}?{urlencode({'cursor': cursor, 'per_page': size})}",
            "end_of_stream": len(remaining) <= size,
        }
        if kind == "tickets" and "metric_sets" in query.get("include", ""):
            ids = {t["id"] for t in page}
            body["metric_sets"] = [m for m in self.records.get("metric_sets", []) if m["ticket_id"] in ids]
        return body

    def _time_page(self, kind: str, path: str, query: dict, size: int, base_url: str) -> dict:
        """A time-based export page: events by their `timestamp`, organizations by their `updated_at`."""
        def moment(record: dict) -> int:
            return record["timestamp"] if kind == "ticket_events" else _epoch(record["updated_at"])

        start = int(query.get("start_time", 0))
        ordered = sorted((r for r in self.records.get(kind, []) if moment(r) >= start),
                         key=lambda r: (moment(r), r["id"]))
        # A page never splits a second: records sharing the last one's second join it (so a page may exceed
        # per_page), and the next page starts after that second.
        cut = size
        while 0 < cut < len(ordered) and moment(ordered[cut]) == moment(ordered[cut - 1]):
            cut += 1
        page = ordered[:cut]
        if kind == "ticket_events" and "comment_events" not in query.get("include", ""):
            page = [{**e, "child_events": [c for c in e["child_events"] if c["event_type"] != "Comment"]} for e in page]
        end_time = moment(page[-1]) if page else start
        return {kind: page, "count": len(page), "end_time": end_time, "end_of_stream": len(ordered) <= cut,
                "next_page": f"{base_url}{path}?{urlencode({**query, 'start_time': end_time + 1})}"}

    def _list_page(self, kind: str, path: str, query: dict, size: int, base_url: str) -> dict:
        """Cursor pagination of a list; satisfaction ratings filtered by `start_time` (changed since), oldest first."""
        if kind == "satisfaction_ratings":
            start = int(query.get("start_time", 0))
            ordered = sorted((r for r in self.records.get(kind, []) if _epoch(r["updated_at"]) >= start),
                             key=lambda r: (_epoch(r["updated_at"]), r["id"]))
        else:
            ordered = sorted(self.records.get(kind, []), key=lambda g: g["id"])
        offset = int(base64.b64decode(query["page[after]"]).decode()) if "page[after]" in query else 0
        page, more = ordered[offset:offset + size], offset + size < len(ordered)
        after = base64.b64encode(str(offset + size).encode()).decode()
        following = {key: value for key, value in query.items() if key != "page[after]"} | {"page[after]": after}
        return {kind: page, "meta": {"has_more": more, "after_cursor": after if more else None},
                "links": {"next": f"{base_url}{path}?{urlencode(following)}" if more else None}}

    def _schedules_response(self, path: str) -> tuple[int, dict[str, str], dict] | None:
        """The schedules list, or one schedule's holidays (404 for a schedule it lacks); None for other paths."""
        if path == SCHEDULES_PATH:
            return 200, {}, {"schedules": sorted(self.records.get("schedules", []), key=lambda s: s["id"])}
        if not (match := HOLIDAYS_PATH.fullmatch(path)):
            return None
        schedule_id = int(match["schedule_id"])
        if not any(s["id"] == schedule_id for s in self.records.get("schedules", [])):
            return 404, {}, {"error": "RecordNotFound", "description": "Not found"}
        holidays = [{k: v for k, v in h.items() if k != "schedule_id"}
                    for h in self.records.get("schedule_holidays", []) if h["schedule_id"] == schedule_id]
        return 200, {}, {"holidays": holidays}


    def _survey_responses_page(self, query: dict, size: int) -> dict:
        """CSAT survey responses created since `filter[created_at_start]` (Unix ms), by id, in Help Center
        cursor pages: `page[size]`, `page[after]`; the page says `meta.has_more` and `meta.after_cursor`."""
        start = int(query.get("filter[created_at_start]", 0)) / 1000
        ordered = sorted((r for r in self.records.get("survey_responses", []) if _epoch(r[OFFERED_AT]) >= start),
                         key=lambda r: r["id"])
        offset = int(base64.b64decode(query["page[after]"]).decode()) if "page[after]" in query else 0
        page = [{k: v for k, v in r.items() if k != OFFERED_AT} for r in ordered[offset:offset + size]]
        return {"survey_responses": page,
                "meta": {"has_more": offset + size < len(ordered), "before_cursor": None,
                         "after_cursor": base64.b64encode(str(offset + size).encode()).decode()}}

    def _sla_policies(self) -> dict:
        """The SLA policies list: not paged, ordered by position."""
        policies = sorted(self.records.get("sla_policies", []), key=lambda p: p["position"])
        return {"sla_policies": policies, "next_page": None, "previous_page": None, "count": len(policies)}


def _handler(api: FakeZendesk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            if self.headers.get("Authorization") != api.expected_auth:
                self._send(401, {}, {"error": "Couldn't authenticate you"})
                return
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            self._send(*api.respond(url.path, query, f"http://{self.headers['Host']}"))

        def _send(self, status: int, headers: dict[str, str], body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
            """Quiet: the request lines would go to stderr in every test."""

    return Handler
