"""A fake Slack Web API over real HTTP: records calls, enforces auth, Block Kit and rate limits.

Point `AsyncWebClient(token="xoxb-…", base_url=fake.url)` (or `SLACK_API_URL`) at it. The state a
user would see (messages after edits and deletes, ephemerals, reactions, modals) lives in
`slack_workspace.Workspace`; this module adds what happens on the wire: token checks, 429s,
injected failures, the call log, and bounded waits on it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .server_thread import ServerThread
from .slack_calls import InjectedFailure, SlackCall, ThreadCheck, parse_args, short, thread_check
from .slack_oauth import Installs
from .slack_streams import Stream
from .slack_ts import next_ts
from .slack_workspace import (
    TEAM_ID,
    Json,
    SlackEphemeral,
    SlackFile,
    SlackMessage,
    SlackView,
    Workspace,
)
from .waiting import wait_until, wait_until_async

__all__ = ["FakeSlack", "SlackCall", "SlackEphemeral", "SlackFile", "SlackMessage", "SlackView"]


class FakeSlack:
    """A Slack Web API on 127.0.0.1 at `url`; `start()`/`stop()` or use as a context manager."""

    def __init__(self, *, update_interval_s: float | None = 1.0, retry_after: int = 1) -> None:
        self.update_interval_s = update_interval_s
        """Minimum seconds between two `chat.update`s of one message; None disables the limit."""
        self.retry_after = retry_after
        """The `Retry-After` seconds sent with the fake's own 429s."""
        self._defaults = (update_interval_s, retry_after)
        self.calls: list[SlackCall] = []
        self.rate_limited: list[SlackCall] = []
        self._workspace = Workspace()
        self._cond = threading.Condition()
        self._failures: dict[str, deque[InjectedFailure]] = {}
        self._overrides: dict[str, Callable[[Json], Json]] = {}
        self._last_update: dict[tuple[str, str], float] = {}
        self._tiers: dict[str, tuple[int, float, deque[float]]] = {}
        self.installs = Installs()
        """Workspaces that installed the app (OAuth), each with its own bot token."""
        self.downloads: list[tuple[str, str | None]] = []
        """(file id, Authorization header) of every file download, in arrival order."""
        app = Starlette(
            routes=[
                Route("/upload/{file_id}", self._upload, methods=["POST"]),
                Route("/files-pri/{file_id}/{name}", self._download, methods=["GET"]),
                Route("/api/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/actions/{hook:path}", self._response_url, methods=["POST"]),
            ]
        )
        self._server = ServerThread(app, "fake-slack")

    # lifecycle

    @property
    def url(self) -> str:
        """Base URL for `AsyncWebClient(base_url=...)`, ending in `/api/`."""
        return f"http://127.0.0.1:{self._server.port}/api/"

    @property
    def response_url(self) -> str:
        """A `response_url` for interaction payloads; posts to it are recorded as method
        `"response_url"` (args = the JSON body)."""
        return f"http://127.0.0.1:{self._server.port}/actions/{TEAM_ID}/1/fake-hook"

    def start(self) -> FakeSlack:
        self._server.start()
        self._workspace.upload_base = self._upload_base
        return self

    @property
    def _upload_base(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/upload/"

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every call, message and setting, as if freshly constructed (server keeps running)."""
        with self._cond:
            self.calls.clear()
            self.rate_limited.clear()
            self._workspace = Workspace(upload_base=self._upload_base)
            self.downloads.clear()
            self._failures.clear()
            self._overrides.clear()
            self.installs = Installs()
            self._last_update.clear()
            self._tiers.clear()
            self.update_interval_s, self.retry_after = self._defaults

    # configuration

    @property
    def auth(self) -> Json:
        """The `auth.test` answer; mutate or assign to change the bot's identity."""
        return self._workspace.auth

    @auth.setter
    def auth(self, value: Json) -> None:
        with self._cond:
            self._workspace.auth = dict(value)

    @property
    def users(self) -> dict[str, Json]:
        """Per-user overrides merged into `users.info` answers (e.g. `{"U1": {"tz": "..."}}`)."""
        return self._workspace.users

    @users.setter
    def users(self, value: dict[str, Json]) -> None:
        with self._cond:
            self._workspace.users = dict(value)

    @property
    def usergroups(self) -> dict[str, list[str]]:
        """User-group id → member ids, answered by `usergroups.users.list`."""
        return self._workspace.usergroups

    @usergroups.setter
    def usergroups(self, value: dict[str, list[str]]) -> None:
        with self._cond:
            self._workspace.usergroups = dict(value)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        error: str = "ratelimited",
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        with self._cond:
            failure = InjectedFailure(status, retry_after, error, times)
            self._failures.setdefault(method, deque()).append(failure)

    def refuse_blocks(self, *types: str) -> None:
        """Make this workspace answer `invalid_blocks` to messages holding blocks of `types`
        (a workspace where plan / task-card blocks don't render)."""
        with self._cond:
            self._workspace.refused_block_types = set(types)

    def limit(self, method: str, calls: int, per_s: float) -> None:
        """Answer 429 (Retry-After) to calls of `method` past `calls` in any `per_s` seconds, for
        the whole workspace: Slack's tiers."""
        with self._cond:
            self._tiers[method] = (calls, per_s, deque())

    def on(self, method: str, answer: Callable[[Json], Json]) -> None:
        """Answer `method` with `answer(args)` (HTTP 200) instead of the built-in behaviour."""
        with self._cond:
            self._overrides[method] = answer

    def seed_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0ALICE",
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[Json] | None = None,
        files: list[Json] | None = None,
    ) -> SlackMessage:
        """Put a message (typically a person's) into the workspace, e.g. for conversations.replies."""
        message = SlackMessage(
            channel,
            ts or next_ts(),
            thread_ts,
            text,
            tuple(blocks or ()),
            user,
            0,
            tuple(files or ()),
        )
        with self._cond:
            self._workspace.add_message(message)
            self._cond.notify_all()
        return message

    def seed_event(self, event: Json) -> SlackMessage:
        """Seed the message carried by an `app_mention`/`message` event (as built by slack_sender)."""
        return self.seed_message(
            event["channel"],
            event.get("text", ""),
            user=event.get("user", "U0ALICE"),
            ts=event["ts"],
            thread_ts=event.get("thread_ts"),
            blocks=event.get("blocks"),
        )

    def share_file(self, name: str, content: bytes, mimetype: str = "text/csv") -> Json:
        """A file a person shares: the `files[]` entry of their message event (Slack's shape)."""
        with self._cond:
            file = self._workspace.new_file(name, mimetype, content)
        base = f"http://127.0.0.1:{self._server.port}/files-pri/{file.id}/{name}"
        return {
            "id": file.id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "size": len(content),
            "mode": "hosted",
            "url_private": base,
            "url_private_download": f"{base}?download=1",
        }

    def uploaded(self, channel: str, thread_ts: str) -> dict[str, bytes]:
        """Name → content of every file the bot shared in the thread."""
        with self._cond:
            return {
                f.name: f.content
                for f in self._workspace.files.values()
                if f.channel == channel and f.thread_ts == thread_ts and f.content is not None
            }

    # what a user sees

    def messages(self, channel: str) -> list[SlackMessage]:
        """Every current message in `channel` (top level and replies), oldest first."""
        with self._cond:
            return self._workspace.in_channel(channel)

    def all_messages(self) -> list[SlackMessage]:
        """Every current message in every channel, in no particular order: one pass over the
        workspace, for benchmarks that follow thousands of threads."""
        with self._cond:
            return list(self._workspace.messages.values())

    def thread(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        """The thread's parent (if known) and its replies, oldest first."""
        with self._cond:
            return self._workspace.in_thread(channel, thread_ts)

    def message(self, channel: str, ts: str) -> SlackMessage | None:
        with self._cond:
            return self._workspace.messages.get((channel, ts))

    @property
    def stream_ttl_s(self) -> float:
        """Seconds after which Slack closes a stream (`message_not_in_streaming_state`)."""
        return self._workspace.stream_methods.ttl_s

    @stream_ttl_s.setter
    def stream_ttl_s(self, value: float) -> None:
        with self._cond:
            self._workspace.stream_methods.ttl_s = value

    def stream(self, channel: str, ts: str) -> Stream | None:
        """The stream behind a streamed message: its recipient, chunks, whether it is open."""
        with self._cond:
            return self._workspace.stream_methods.streams.get((channel, ts))

    def status(self, channel: str, thread_ts: str) -> str | None:
        """The assistant status showing under the thread now (None when cleared)."""
        with self._cond:
            return self._workspace.statuses.get((channel, thread_ts))

    def statuses(self, channel: str, thread_ts: str) -> list[str]:
        """Every status the bot set under the thread, in order ("" for a clear)."""
        with self._cond:
            log = self._workspace.status_log
            return [s for c, t, s in log if (c, t) == (channel, thread_ts)]

    @property
    def ephemerals(self) -> list[SlackEphemeral]:
        with self._cond:
            return list(self._workspace.ephemerals)

    @property
    def views(self) -> list[SlackView]:
        """Modals opened (and their latest version after views.update), in opening order."""
        with self._cond:
            return list(self._workspace.views.values())

    def reactions(self, channel: str, ts: str) -> list[str]:
        with self._cond:
            return list(self._workspace.reactions.get((channel, ts), []))

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    # waits

    def wait_for_call(
        self,
        method: str,
        count: int = 1,
        where: Callable[[SlackCall], bool] | None = None,
        timeout: float = 10,
    ) -> list[SlackCall]:
        """Block until `count` calls of `method` (matching `where`) arrived; return all matches."""
        check, expected, dump = self._call_wait(method, count, where)
        return wait_until(self._cond, check, expected=expected, dump=dump, timeout=timeout)

    async def until_call(
        self,
        method: str,
        count: int = 1,
        where: Callable[[SlackCall], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - bounds the wait; the timeout error shows the log
    ) -> list[SlackCall]:
        check, expected, dump = self._call_wait(method, count, where)
        return await wait_until_async(
            self._cond, check, expected=expected, dump=dump, timeout=timeout
        )

    def wait_for_thread(
        self, channel: str, thread_ts: str, check: ThreadCheck, timeout: float = 10
    ) -> list[SlackMessage]:
        """Block until `check(thread messages)` holds (a str: some message contains it)."""
        found, expected, dump = self._thread_wait(channel, thread_ts, check)
        return wait_until(self._cond, found, expected=expected, dump=dump, timeout=timeout)

    async def until_thread(
        self,
        channel: str,
        thread_ts: str,
        check: ThreadCheck,
        timeout: float = 10,  # noqa: ASYNC109 - bounds the wait; the timeout error shows the log
    ) -> list[SlackMessage]:
        found, expected, dump = self._thread_wait(channel, thread_ts, check)
        return await wait_until_async(
            self._cond, found, expected=expected, dump=dump, timeout=timeout
        )

    def _call_wait(
        self, method: str, count: int, where: Callable[[SlackCall], bool] | None
    ) -> tuple[Callable[[], list[SlackCall] | None], str, Callable[[], str]]:
        def check() -> list[SlackCall] | None:
            matches = [c for c in self.calls if c.method == method and (where is None or where(c))]
            return matches if len(matches) >= count else None

        condition = " matching the predicate" if where else ""
        return check, f"{count} call(s) to {method}{condition}", self.dump

    def _thread_wait(
        self, channel: str, thread_ts: str, check: ThreadCheck
    ) -> tuple[Callable[[], list[SlackMessage] | None], str, Callable[[], str]]:
        predicate = thread_check(check)

        def found() -> list[SlackMessage] | None:
            messages = self._workspace.in_thread(channel, thread_ts)
            return messages if predicate(messages) else None

        def dump() -> str:
            lines = [f"thread {channel}/{thread_ts} now holds:"]
            for m in self._workspace.in_thread(channel, thread_ts):
                lines.append(f"  {m.ts} {m.user} (edited {m.edited}x): {short(m.all_text, 500)}")
            return "\n".join(lines) + "\n" + self.dump()

        wanted = repr(check) if isinstance(check, str) else "the predicate"
        return found, f"thread {channel}/{thread_ts} to satisfy {wanted}", dump

    def dump(self) -> str:
        """The call log, one line per call, for failure messages."""
        if not self.calls:
            return "no Slack Web API calls were received"
        lines = [f"{len(self.calls)} Slack Web API call(s) received:"]
        lines += [f"  {call}" for call in self.calls]
        return "\n".join(lines)

    # HTTP

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        args, token = parse_args(request.query_params.multi_items(), await request.body(), request)
        if method == "oauth.v2.access":
            authorization = request.headers.get("authorization", "")
            with self._cond:
                answer = self.installs.exchange(args, authorization)
                self.calls.append(SlackCall(method, args, None, time.monotonic(), 200, answer))
                self._cond.notify_all()
            return JSONResponse(answer)
        status, body, headers = self._handle(method, args, token)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _upload(self, request: Request) -> Response:
        """The upload URL of `files.getUploadURLExternal`: the raw bytes of one file."""
        body = await request.body()
        with self._cond:
            file = self._workspace.files.get(request.path_params["file_id"])
            if file is None:
                return PlainTextResponse("no such upload", status_code=404)
            file.content = body
            self._cond.notify_all()
        return PlainTextResponse(f"OK - {len(body)}")

    async def _download(self, request: Request) -> Response:
        """`url_private_download`: the content, for a bot token only (Slack shows HTML otherwise)."""
        authorization = request.headers.get("authorization")
        with self._cond:
            file = self._workspace.files.get(request.path_params["file_id"])
            self.downloads.append((request.path_params["file_id"], authorization))
            self._cond.notify_all()
        if not (authorization or "").startswith("Bearer xoxb-"):
            return Response("<html>sign in</html>", media_type="text/html")
        if file is None or file.content is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(file.content, media_type=file.mimetype)

    async def _response_url(self, request: Request) -> JSONResponse:
        raw = await request.body()
        args: Json = json.loads(raw) if raw else {}
        with self._cond:
            call = SlackCall("response_url", args, None, time.monotonic(), 200, {"ok": True})
            self.calls.append(call)
            self._cond.notify_all()
        return JSONResponse({"ok": True})

    def _handle(self, method: str, args: Json, token: str | None) -> tuple[int, Json, dict]:
        with self._cond:
            status, body, headers = self._answer(method, args, token)
            call = SlackCall(method, args, token, time.monotonic(), status, body)
            self.calls.append(call)
            if status == 429:
                self.rate_limited.append(call)
            self._cond.notify_all()
        return status, body, headers

    def _answer(self, method: str, args: Json, token: str | None) -> tuple[int, Json, dict]:
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if not token.startswith("xoxb-"):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        failure = self._take_failure(method)
        if failure is not None:
            headers = (
                {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            )
            return failure.status, {"ok": False, "error": failure.error}, headers
        if method in self._overrides:
            return 200, self._overrides[method](args), {}
        if self._over_tier(method):
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
        if method == "auth.test" and (identity := self.installs.identity(token)) is not None:
            return 200, identity, {}
        if method == "chat.update" and self._update_too_soon(args):
            headers = {"Retry-After": str(self.retry_after)}
            return 429, {"ok": False, "error": "ratelimited"}, headers
        body = self._workspace.answer(method, args)
        if method == "chat.update" and body.get("ok"):
            self._last_update[(args["channel"], args["ts"])] = time.monotonic()
        return 200, body, {}

    def _take_failure(self, method: str) -> InjectedFailure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        return failure

    def _over_tier(self, method: str) -> bool:
        if method not in self._tiers:
            return False
        calls, per_s, times = self._tiers[method]
        now = time.monotonic()
        while times and now - times[0] >= per_s:
            times.popleft()
        if len(times) >= calls:
            return True
        times.append(now)
        return False

    def _update_too_soon(self, args: Json) -> bool:
        if self.update_interval_s is None:
            return False
        last = self._last_update.get((args.get("channel", ""), args.get("ts", "")))
        return last is not None and time.monotonic() - last < self.update_interval_s
