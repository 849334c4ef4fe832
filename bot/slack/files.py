"""Files in and out of a thread: download what people share, upload what the sandbox produced.

Downloads use the bot token (scope `files:read`), and the token is sent only to Slack's own file
hosts (`https://*.slack.com`) or to the host of `SLACK_API_URL` (a local emulator in tests):
redirects are followed by hand so that a redirect can never carry it anywhere else. Uploads use
`files_upload_v2` (scope `files:write`): `files.getUploadURLExternal`, the upload, then
`files.completeUploadExternal` into the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.clients import SlackClients
from orchestrator import FileTransferFailed, SharedFile, ThreadRef

MAX_REDIRECTS = 3
CHUNK = 256 * 1024
DOWNLOAD_TIMEOUT_S = 300


class SlackThreadFiles:
    """The `ThreadFiles` port on Slack's Web API."""

    def __init__(self, client: AsyncWebClient | SlackClients, *, api_url: str) -> None:
        self._clients = SlackClients.of(client)
        api = urlsplit(api_url)
        self._api_origin = (api.scheme, api.hostname, api.port)

    def trusted(self, url: str) -> bool:
        """May the bot token be sent to `url`?"""
        parts = urlsplit(url)
        if (parts.scheme, parts.hostname, parts.port) == self._api_origin:
            return True
        host = parts.hostname or ""
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    async def download(self, file: SharedFile, dest: Path, *, max_bytes: int, team_id: str) -> int:
        token = await self._clients.token(team_id)
        if not token:
            raise FileTransferFailed("the bot has no Slack token for this workspace")
        url = file.url or ""
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                if not self.trusted(url):
                    raise FileTransferFailed(
                        "its link is not on Slack's file servers, and the bot token goes nowhere else"
                    )
                headers = {"Authorization": f"Bearer {token}"}
                try:
                    async with session.get(url, headers=headers, allow_redirects=False) as response:
                        if response.status in (301, 302, 303, 307, 308):
                            url = urljoin(url, response.headers.get("Location", ""))
                            continue
                        _check(response)
                        return await _save(response, dest, max_bytes)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    raise FileTransferFailed(f"the download failed ({type(exc).__name__})") from exc
        raise FileTransferFailed("Slack redirected the download too many times")

    async def upload(self, thread: ThreadRef, path: Path, *, name: str) -> None:
        try:
            client = await self._clients.for_team(thread.team_id)
            await client.files_upload_v2(
                channel=thread.channel_id,
                thread_ts=thread.thread_ts,
                file=str(path),
                filename=name,
                title=name,
            )
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise FileTransferFailed(
                f"Slack refused the upload ({error or 'no reason given'})"
            ) from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise FileTransferFailed(f"the upload failed ({type(exc).__name__})") from exc


def _check(response: aiohttp.ClientResponse) -> None:
    if response.status != 200:
        raise FileTransferFailed(f"Slack answered HTTP {response.status}")
    if response.content_type == "text/html":
        # What Slack serves instead of the file when the token may not read it.
        raise FileTransferFailed("Slack sent a sign-in page: the app needs the files:read scope")


async def _save(response: aiohttp.ClientResponse, dest: Path, max_bytes: int) -> int:
    part = dest.with_name(dest.name + ".part")
    total = 0
    handle = await asyncio.to_thread(part.open, "wb")
    try:
        async for chunk in response.content.iter_chunked(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise FileTransferFailed(f"it is larger than the {max_bytes // 2**20} MB limit")
            await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        handle.close()
        with contextlib.suppress(OSError):
            await asyncio.to_thread(part.unlink)
        raise
    handle.close()
    await asyncio.to_thread(part.chmod, 0o644)
    await asyncio.to_thread(part.replace, dest)
    return total
