"""Slack message links, made from a workspace's URL and read back into (channel, thread ts).

A permalink is `https://<workspace>.slack.com/archives/<channel>/p<ts without its dot>`; a link to
a reply also carries `?thread_ts=<parent ts>&cid=<channel>`, which names the thread. That is the
form `chat.getPermalink` answers with, so a link is made here from the workspace's URL (as
`auth.test` gives it) without a call per message. `C0123:1700000000.000100` (or with a slash)
names a thread directly.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_CHANNEL = r"[CDGZ][A-Z0-9]{2,}"
_TS = re.compile(r"^\d{9,11}\.\d{6}$")
_PATH = re.compile(rf"^/archives/({_CHANNEL})/p(\d{{9,11}})(\d{{6}})/?$")
_PAIR = re.compile(rf"^({_CHANNEL})[:/ ](\d{{9,11}}\.\d{{6}})$")


def permalink(workspace_url: str, channel: str, ts: str, *, thread_ts: str | None = None) -> str:
    """The link to message `ts` in `channel` (a reply when `thread_ts` is another message)."""
    link = f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def thread_of(text: str, *, channel: str | None = None) -> tuple[str, str] | None:
    """(channel id, thread ts) named by a permalink, `CHANNEL:TS`, or a bare ts with `channel`;
    None when `text` is none of these."""
    text = text.strip()
    if channel and _TS.match(text):
        return channel, text
    if pair := _PAIR.match(text):
        return pair.group(1), pair.group(2)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc.endswith("slack.com"):
        return None
    path = _PATH.match(parts.path)
    if path is None:
        return None
    parent = parse_qs(parts.query).get("thread_ts", [""])[0]
    ts = parent if _TS.match(parent) else f"{path.group(2)}.{path.group(3)}"
    return path.group(1), ts
