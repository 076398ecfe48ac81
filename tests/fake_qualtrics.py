"""A fake Qualtrics API v3 on 127.0.0.1, written from Qualtrics' published API reference.

What it serves, with the documented shapes ({"result": ..., "meta": {"requestId", "httpStatus"}}):
- GET  /API/v3/surveys: the survey list, paged (`result.elements`, `result.nextPage` a full URL or null);
- GET  /API/v3/survey-definitions/{surveyId}: the definition;
- POST /API/v3/surveys/{surveyId}/export-responses: starts an export ({"format": "json"}, with
  `allowContinuation` or a `continuationToken`), answers `progressId`;
- GET  .../export-responses/{progressId}: `inProgress` on the first look, then `complete` with
  `fileId` and `continuationToken` (or `failed` with fileId null, when told to fail);
- GET  .../export-responses/{fileId}/file: a zip holding `<survey name>.json`, {"responses": [...]}.
Every request needs the X-API-TOKEN header (401 otherwise). A continuation token covers the
responses recorded or changed up to the export; the next export gets only later ones. It can
answer 429 with Retry-After to the next request of a path, fail an export, or hold exports at
`inProgress` (for a test that kills the run). Every request is logged (method, path, token ok).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PAGE_SIZE = 2


@dataclass
class _Export:
    survey_id: str
    since: int  # the change its continuation token covered (0: none)
    continued: bool  # started with allowContinuation or a token: it ends with a token
    polls: int = 0
    file_id: str | None = None
    token: str | None = None


@dataclass
class FakeQualtrics:
    token: str
    definitions: dict[str, dict] = field(default_factory=dict)  # survey id -> definition
    responses: dict[str, dict[str, tuple[int, dict]]] = field(default_factory=dict)  # survey -> id -> (change, json)
    requests: list[tuple[str, str, bool]] = field(default_factory=list)  # method, URL, token right
    export_requests: list[dict] = field(default_factory=list)  # the bodies of export starts
    throttled: dict[str, int] = field(default_factory=dict)  # path prefix -> Retry-After seconds, once
    failing_exports: set[str] = field(default_factory=set)  # surveys whose next export fails
    holding: threading.Event = field(default_factory=threading.Event)  # set: exports stay inProgress
    polled_while_holding: threading.Event = field(default_factory=threading.Event)
    _changes: itertools.count = field(default_factory=lambda: itertools.count(1))
    _exports: dict[str, _Export] = field(default_factory=dict)
    _files: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def add_survey(self, definition: dict) -> None:
        self.definitions[definition["SurveyID"]] = definition
        self.responses.setdefault(definition["SurveyID"], {})

    def record(self, survey_id: str, response: dict) -> None:
        """A response recorded (or changed) now: the next continued export holds it."""
        with self._lock:
            self.responses[survey_id][response["responseId"]] = (next(self._changes), response)

    # ------------------------------------------------------------------ the API
    def handle(self, method: str, url: str, token: str | None, body: bytes) -> tuple[int, dict, bytes]:
        path = urlparse(url).path
        self.requests.append((method, url, token == self.token))
        if token != self.token:
            return _error(401, "Invalid API token", "AUTH_ERROR")
        for prefix, seconds in list(self.throttled.items()):
            if path.startswith(prefix):
                del self.throttled[prefix]
                status, headers, content = _error(429, "Too many requests", "RATE_LIMIT")
                return status, {**headers, "Retry-After": str(seconds)}, content
        if method == "GET" and path == "/API/v3/surveys":
            return self._survey_list(url)
        if method == "GET" and (found := re.fullmatch(r"/API/v3/survey-definitions/(\w+)", path)):
            definition = self.definitions.get(found[1])
            return _ok(definition) if definition else _error(404, "Survey not found", "NOT_FOUND")
        found = re.fullmatch(r"/API/v3/surveys/(\w+)/export-responses(?:/([\w-]+))?(/file)?", path)
        if not found or found[1] not in self.definitions:
            return _error(404, "Not found", "NOT_FOUND")
        if method == "POST" and not found[2]:
            self.export_requests.append(json.loads(body))
            return self._start_export(found[1], json.loads(body))
        if method == "GET" and found[2] and found[3]:
            content = self._files.get(found[2])
            return (200, {"Content-Type": "application/octet-stream"}, content) if content else _error(
                404, "File not found", "NOT_FOUND")
        if method == "GET" and found[2]:
            return self._progress(found[2])
        return _error(405, "Method not allowed", "METHOD")

    def _survey_list(self, url: str) -> tuple[int, dict, bytes]:
        offset = int(parse_qs(urlparse(url).query).get("offset", ["0"])[0])
        ids = sorted(self.definitions)
        elements = [{"id": i, "name": self.definitions[i]["SurveyName"], "ownerId": "UR_owner",
                     "lastModified": self.definitions[i]["LastModified"], "creationDate": "2026-01-05T09:00:00Z",
                     "isActive": True} for i in ids[offset:offset + PAGE_SIZE]]
        more = offset + PAGE_SIZE < len(ids)
        return _ok({"elements": elements,
                    "nextPage": f"{self.base_url}/API/v3/surveys?offset={offset + PAGE_SIZE}" if more else None})

    def _start_export(self, survey_id: str, request: dict) -> tuple[int, dict, bytes]:
        if request.get("format") != "json":
            return _error(400, "This fake exports format json only", "BAD_PARAM")
        token = request.get("continuationToken")
        since = int(token.removeprefix("ct_")) if token else 0
        progress_id = f"ES_{uuid.uuid4().hex[:15]}"
        self._exports[progress_id] = _Export(survey_id, since, bool(token or request.get("allowContinuation")))
        return _ok({"progressId": progress_id, "percentComplete": 0.0, "status": "inProgress"})

    def _progress(self, progress_id: str) -> tuple[int, dict, bytes]:
        export = self._exports.get(progress_id)
        if export is None:
            return _error(404, "Export not found", "NOT_FOUND")
        export.polls += 1
        if self.holding.is_set():
            self.polled_while_holding.set()
            return _ok({"percentComplete": 40.0, "status": "inProgress"})
        if export.polls == 1:
            return _ok({"percentComplete": 50.0, "status": "inProgress"})
        if export.survey_id in self.failing_exports:
            self.failing_exports.discard(export.survey_id)
            return _ok({"fileId": None, "percentComplete": 100.0, "status": "failed"})
        if export.file_id is None:
            with self._lock:
                recorded = self.responses[export.survey_id].values()
                now = max((change for change, _ in recorded), default=0)
                chosen = [response for change, response in sorted(recorded, key=lambda r: r[0])
                          if export.since < change <= now]
            export.file_id = f"{uuid.uuid4()}-file"
            self._files[export.file_id] = _zipped(self.definitions[export.survey_id]["SurveyName"], chosen)
            export.token = f"ct_{max(now, export.since)}" if export.continued else None
        result = {"fileId": export.file_id, "percentComplete": 100.0, "status": "complete"}
        return _ok({**result, "continuationToken": export.token} if export.token else result)


def _ok(result: dict) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(
        {"result": result, "meta": {"requestId": str(uuid.uuid4()), "httpStatus": "200 - OK"}}).encode()


def _error(status: int, message: str, code: str) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps({"meta": {
        "requestId": str(uuid.uuid4()), "httpStatus": f"{status}", "error": {"errorMessage": message,
                                                                             "errorCode": code}}}).encode()


def _zipped(survey_name: str, responses: list[dict]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{survey_name}.json", json.dumps({"responses": responses}, ensure_ascii=False))
    return buffer.getvalue()


def serve(api: FakeQualtrics) -> ThreadingHTTPServer:
    """Start the fake on a free port of 127.0.0.1 in a daemon thread; api.base_url says where."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, content = api.handle(method, self.path, self.headers.get("X-API-TOKEN"), body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._answer("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._answer("POST")

        def log_message(self, *args) -> None:
            """Quiet: the test reads api.requests instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
