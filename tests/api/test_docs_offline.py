"""``/api/v1/docs`` works offline: Swagger UI comes from Baton itself, not from a CDN."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx


class AssetLinks(HTMLParser):
    """Every script, stylesheet and icon a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"] or "")


def test_the_docs_load_every_asset_from_baton(baton_server):
    docs_url = f"{baton_server}/api/v1/docs"
    with httpx.Client(timeout=10) as http:
        page = http.get(docs_url)
        assert page.status_code == 200
        links = AssetLinks()
        links.feed(page.text)
        scripts = [u for u in links.urls if u.endswith(".js")]
        styles = [u for u in links.urls if u.endswith(".css")]
        assert any("swagger-ui-bundle" in u for u in scripts), links.urls
        assert any("swagger-ui" in u for u in styles), links.urls
        origin = urlsplit(baton_server).netloc
        for url in links.urls:
            absolute = urljoin(docs_url, url)
            assert urlsplit(absolute).netloc == origin, f"{url} is not served by Baton"
            asset = http.get(absolute)
            assert asset.status_code == 200, absolute
            assert asset.content, absolute
        # The page's settings point Swagger UI at Baton's own OpenAPI document.
        assert http.get(f"{baton_server}/api/v1/openapi.json").status_code == 200
