"""Zendesk API credentials: where the account is, and which environment variables hold the secrets.

The token (and the e-mail it belongs to) are read from the environment when a request is
signed, never stored: dagster-dlt keeps the dlt source object in the asset's metadata, and
dlt would otherwise write a source's arguments into its state and schema.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from requests import PreparedRequest
from requests.auth import AuthBase

SUBDOMAIN_VARIABLE = "CX_ZENDESK_SUBDOMAIN"
BASE_URL_VARIABLE = "CX_ZENDESK_BASE_URL"  # instead of the subdomain: a proxy, or the offline fake API
EMAIL_VARIABLE = "CX_ZENDESK_EMAIL"
TOKEN_VARIABLE = "CX_ZENDESK_API_TOKEN"


class MissingCredentials(RuntimeError):
    """The environment lacks the e-mail or the API token a request needs."""


@dataclass(frozen=True)
class ZendeskAccount(AuthBase):
    """A Zendesk account's API address; signs requests with API-token basic auth (`{email}/token:{token}`)."""

    base_url: str

    @classmethod
    def from_environment(cls) -> ZendeskAccount | None:
        """The account the environment names (CX_ZENDESK_BASE_URL or CX_ZENDESK_SUBDOMAIN); None if neither."""
        if base_url := os.environ.get(BASE_URL_VARIABLE):
            return cls(base_url.rstrip("/"))
        if subdomain := os.environ.get(SUBDOMAIN_VARIABLE):
            return cls(f"https://{subdomain}.zendesk.com")
        return None

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        email, token = os.environ.get(EMAIL_VARIABLE), os.environ.get(TOKEN_VARIABLE)
        if not email or not token:
            raise MissingCredentials(f"Set {EMAIL_VARIABLE} (the agent's e-mail) and {TOKEN_VARIABLE} (an API token "
                                     "from Admin Center > Apps and integrations > Zendesk API) to read Zendesk.")
        pair = base64.b64encode(f"{email}/token:{token}".encode()).decode()
        request.headers["Authorization"] = f"Basic {pair}"
        return request

    def __repr__(self) -> str:
        return f"ZendeskAccount({self.base_url!r})"
