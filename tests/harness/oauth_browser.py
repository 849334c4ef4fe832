"""Plays a person's browser through an OAuth sign-in: open the authorize URL, log in as a named
user on the test authorization server, and follow the redirect back (or just read it)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx


async def sign_in(authorize_url: str, user: str, *, follow_callback: bool = True) -> httpx.Response:
    """Log in as `user`; returns the response of the redirect target (the callback page), or the
    final redirect itself when `follow_callback` is False."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=20) as http:
        login = await http.get(authorize_url)
        assert login.status_code in (302, 307), login.text
        approved = await http.get(login.headers["location"] + f"&login={user}")
        assert approved.status_code == 302, approved.text
        if not follow_callback:
            return approved
        return await http.get(approved.headers["location"])


async def cancel_sign_in(authorize_url: str) -> httpx.Response:
    """Open the authorize URL and press Cancel on the login page; returns the callback page."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=20) as http:
        login = await http.get(authorize_url)
        assert login.status_code in (302, 307), login.text
        refused = await http.get(login.headers["location"] + "&cancel=1")
        assert refused.status_code == 302, refused.text
        assert "error=access_denied" in refused.headers["location"]
        return await http.get(refused.headers["location"])


def query_of(response: httpx.Response) -> dict[str, str]:
    """The query parameters of a redirect's target."""
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
