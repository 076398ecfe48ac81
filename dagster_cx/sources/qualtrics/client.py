"""Qualtrics' API v3 as this source uses it: its configuration, the token read per request, the REST client.

The API token is a secret: it comes from the environment (QUALTRICS_API_TOKEN) at the moment a
request is made, so nothing built when Dagster loads its definitions (the dlt source that
dagster-dlt keeps in the asset's metadata, the settings) ever holds it, and no error message
quotes it. Retries with backoff on 429 and 5xx, honouring Retry-After, are dlt's (its requests
client); paging through `result.nextPage` is dlt's JSONLinkPaginator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import PreparedRequest, Response
from requests.auth import AuthBase

BASE_URL_VARIABLE = "QUALTRICS_BASE_URL"
TOKEN_VARIABLE = "QUALTRICS_API_TOKEN"
MAPPINGS_VARIABLE = "QUALTRICS_MAPPINGS_DIR"
POLL_VARIABLE = "QUALTRICS_POLL_SECONDS"
DEFAULT_POLL_SECONDS = 2.0  # between looks at a running export's progress
DEFAULT_EXPORT_TIMEOUT_SECONDS = 1800.0


class QualtricsError(RuntimeError):
    """Qualtrics refused or failed a request; the message says what to do (and never holds the token)."""


@dataclass(frozen=True)
class QualtricsSettings:
    """Where the API is, which variable holds the token, where the surveys' mappings are: no secret here."""

    base_url: str  # https://<data center id>.qualtrics.com, e.g. https://fra1.qualtrics.com
    mappings_dir: Path  # one mapping per survey, each naming its qualtrics_survey_id
    token_variable: str = TOKEN_VARIABLE
    poll_seconds: float = DEFAULT_POLL_SECONDS
    export_timeout_seconds: float = DEFAULT_EXPORT_TIMEOUT_SECONDS


def configured_settings() -> QualtricsSettings | None:
    """The API source's settings, or None when QUALTRICS_BASE_URL and QUALTRICS_MAPPINGS_DIR are not both set."""
    base_url = os.environ.get(BASE_URL_VARIABLE, "").strip()
    folder = os.environ.get(MAPPINGS_VARIABLE, "").strip()
    if not base_url or not folder:
        return None
    poll = os.environ.get(POLL_VARIABLE, "").strip()
    return QualtricsSettings(base_url, Path(folder).expanduser().resolve(),
                             poll_seconds=float(poll) if poll else DEFAULT_POLL_SECONDS)


class TokenFromEnvironment(AuthBase):
    """Puts the token in X-API-TOKEN when each request is sent, reading it from the environment then."""

    def __init__(self, variable: str) -> None:
        self.variable = variable

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        token = os.environ.get(self.variable, "").strip()
        if not token:
            raise QualtricsError(f"{self.variable} is not set: put your Qualtrics API token in it (Qualtrics: Account "
                                 "Settings > Qualtrics IDs > API) in the environment Dagster runs in, never in a file "
                                 "of the repository.")
        request.headers["X-API-TOKEN"] = token
        return request

    def __repr__(self) -> str:
        return f"TokenFromEnvironment({self.variable!r})"


def api_client(settings: QualtricsSettings) -> RESTClient:
    """A client for https://<data center>.qualtrics.com/API/v3, paging list endpoints by `result.nextPage`."""
    return RESTClient(
        base_url=f"{settings.base_url.rstrip('/')}/API/v3",
        auth=TokenFromEnvironment(settings.token_variable),
        paginator=JSONLinkPaginator(next_url_path="result.nextPage"),
        data_selector="result.elements",
    )


def result_of(response: Response, what: str) -> dict:
    """The `result` of a Qualtrics answer, or a QualtricsError with Qualtrics' own message and what to do."""
    if response.ok:
        return response.json()["result"]
    try:
        meta = response.json().get("meta", {})
    except ValueError:
        meta = {}
    error = meta.get("error", {})
    advice = {
        401: "the API token was refused: check QUALTRICS_API_TOKEN and that the user may use the API",
        403: "the token's user may not do this: ask your Qualtrics admin for API access to the survey",
        404: "not found: check the survey id in the mapping and QUALTRICS_BASE_URL's data center",
    }.get(response.status_code, "re-run later; if it persists, contact Qualtrics support with the request id")
    raise QualtricsError(f"Qualtrics answered {response.status_code} to {what}: {error.get('errorMessage', '')} "
                         f"(request id {meta.get('requestId', 'unknown')}); {advice}.")


def raising_hooks(what: str) -> dict[str, list]:
    """Hooks for dlt's paginate: a refused page raises QualtricsError, with Qualtrics' message and what to do."""

    def check(response: Response, *args: object, **kwargs: object) -> None:
        if not response.ok:
            result_of(response, what)

    return {"response": [check]}
