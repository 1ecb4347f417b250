"""Post one body to a connector, signed at the moment it is sent (timestamps must be fresh)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from cli_tools.send_auth import Target
from connectors.auth import AuthSettings, sign


@dataclass
class Sender:
    client: httpx.Client
    target: Target
    auth: AuthSettings
    secret: str
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    def _url(self) -> str:
        """The URL as it is sent, query included: what a {url} signature covers."""
        query = {**self.target.query, **self.query}
        return str(httpx.URL(self.target.url, params=query)) if query else self.target.url

    def post(self, body: bytes, content_type: str) -> httpx.Response:
        signed = sign(self.auth, self.secret, body, now=time.time(), url=self._url())
        headers = {"Content-Type": content_type, **self.headers, **signed.headers}
        params = {**self.target.query, **self.query, **signed.query}
        return self.client.post(self.target.url, params=params, content=body, headers=headers)
