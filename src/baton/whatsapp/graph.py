"""A small client for the WhatsApp Cloud API (Meta Graph API).

The base URL is a setting so the same code talks to Meta in production and to Baton's
simulator in the demo and the tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from baton.whatsapp.errors import GraphError

_local = threading.local()


class GraphRequestError(Exception):
    """The Graph API answered with an error body."""

    def __init__(self, error: GraphError) -> None:
        super().__init__(f"({error.code}) {error.title}: {error.details}")
        self.error = error


class RequestNeverSent(Exception):
    """The request did not leave this machine (connection refused, DNS): safe to retry."""


class OutcomeUnknown(Exception):
    """The request may have reached WhatsApp but no answer came back (timeout, reset)."""


def _client() -> httpx.Client:
    client = getattr(_local, "client", None)
    if client is None:
        client = httpx.Client(timeout=settings.WHATSAPP_HTTP_TIMEOUT)
        _local.client = client
    return client


def close_thread_client() -> None:
    """Close this thread's connection pool (call when a worker thread ends)."""
    client = getattr(_local, "client", None)
    if client is not None:
        client.close()
        _local.client = None


def _error_from_response(response: httpx.Response) -> GraphError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(
            code=None,
            title=f"HTTP {response.status_code}",
            details=response.text[:500],
            http_status=response.status_code,
        )
    error_data = error.get("error_data")
    error_data = error_data if isinstance(error_data, dict) else {}
    code = error.get("code")
    return GraphError(
        code=int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
        title=str(error.get("message") or ""),
        details=str(error_data.get("details") or error.get("error_user_msg") or ""),
        http_status=response.status_code,
    )


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str
    body: dict[str, Any]


class GraphClient:
    """Calls for one WhatsApp number."""

    def __init__(self, phone_number_id: str, access_token: str, base_url: str | None = None):
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.base_url = (base_url or settings.WHATSAPP_API_BASE_URL).rstrip("/")

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = _client().request(method, url, headers=self._headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise RequestNeverSent(str(exc) or exc.__class__.__name__) from exc
        except httpx.TransportError as exc:
            raise OutcomeUnknown(str(exc) or exc.__class__.__name__) from exc
        if response.status_code >= 400:
            raise GraphRequestError(_error_from_response(response))
        return response

    def send_message(self, body: dict[str, Any]) -> SendResult:
        url = f"{self.base_url}/{self.phone_number_id}/messages"
        data = self._request("POST", url, json=body).json()
        messages = data.get("messages") or []
        if not messages or not messages[0].get("id"):
            raise GraphRequestError(
                GraphError(code=None, title="Unexpected response", details=str(data)[:500])
            )
        contacts = data.get("contacts") or [{}]
        return SendResult(
            wamid=messages[0]["id"], wa_id=str(contacts[0].get("wa_id") or ""), body=data
        )

    def mark_read(self, wamid: str, typing: bool = False) -> None:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        }
        if typing:
            body["typing_indicator"] = {"type": "text"}
        self._request("POST", f"{self.base_url}/{self.phone_number_id}/messages", json=body)

    def upload_media(self, content: bytes, mime_type: str, filename: str) -> str:
        url = f"{self.base_url}/{self.phone_number_id}/media"
        response = self._request(
            "POST",
            url,
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        return str(response.json()["id"])

    def download_media(self, media_id: str) -> tuple[bytes, str, str]:
        """Bytes, MIME type and hex sha256 of an inbound media id (URL valid 5 minutes)."""
        meta = self._request(
            "GET",
            # The id comes from a webhook: quoted, it can only ever name one Graph object.
            f"{self.base_url}/{quote(media_id, safe='')}",
            params={"phone_number_id": self.phone_number_id},
        ).json()
        # The URL must be fetched with the same Bearer token.
        blob = self._request("GET", meta["url"])
        mime = str(meta.get("mime_type") or blob.headers.get("content-type", ""))
        return blob.content, mime, str(meta.get("sha256") or "")
