"""The pool of MCP servers a task may use: discovery, calls by model-facing name, status.

One session per server, and for servers behind OAuth one session per server per account: a call
made for a `Caller` uses that person's connection (`per_user`) or the workspace's (`shared`), so
one person's token never carries another's call.

Failures never escape as exceptions from `list_tools`, `call` or `check`: an unreachable server
is reported in its `ServerStatus`, and a failed call becomes an `is_error` result the model can
read. Only misuse (unknown tool in `tool()`, a closed pool) raises, and `SignInRequired` from
`call`: the account is not connected, and only a person can fix that.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from connectors import naming, oauth
from connectors.elicitation import Elicitor
from connectors.errors import (
    ConnectorError,
    PoolClosed,
    ServerUnavailable,
    SignInRequired,
    ToolNotFound,
)
from connectors.naming import NameTable
from connectors.oauth import Accounts, Caller, RefreshLocks
from connectors.redaction import LogRedaction, Redactor
from connectors.results import call_result, tool_info
from connectors.spec import HttpSpec, ServerSpec
from connectors.supervisor import Backoff, ProgressCallback, Supervisor
from connectors.tools import ToolCallResult, ToolInfo

log = logging.getLogger("connectors.pool")

ServerKey = tuple[str, str]
SessionKey = tuple[ServerKey, str]
"""A server and the account its session acts for ('' for servers without sign-in)."""


@dataclass(frozen=True)
class ServerStatus:
    """What `connectors check` shows for one server."""

    server: str
    namespace: str
    kind: str
    reachable: bool
    error: str | None = None
    protocol_version: str | None = None
    server_name: str | None = None
    server_version: str | None = None
    tool_count: int | None = None
    restarts: int = 0
    sign_in: str | None = None
    """How it authenticates when it needs an account: 'per user', 'shared', 'service account'."""

    def line(self) -> str:
        label = f"{self.namespace}/{self.server}" if self.namespace else self.server
        if self.sign_in is not None and not self.reachable and self.error is None:
            return f"• {label} ({self.kind}): needs sign-in {self.sign_in}"
        if not self.reachable:
            return f"✗ {label}: {self.error or 'not connected yet'}"
        tools = f", {self.tool_count} tools" if self.tool_count is not None else ""
        return f"✓ {label} ({self.kind}, protocol {self.protocol_version}{tools})"


class ConnectorPool:
    """`async with ConnectorPool(specs) as pool:` — servers start on first use."""

    def __init__(
        self,
        specs: Sequence[ServerSpec],
        *,
        backoff: Backoff | None = None,
        on_tools_changed: Callable[[], None] | None = None,
        elicitation: Elicitor | None = None,
        accounts: Accounts | None = None,
        refresh_locks: RefreshLocks | None = None,
        redirect_uri: str = "http://localhost/oauth/callback",
    ) -> None:
        keys = [s.key for s in specs]
        duplicates = sorted({f"{ns}/{n}" if ns else n for ns, n in keys if keys.count((ns, n)) > 1})
        if duplicates:
            raise ValueError(f"connector names must be unique per namespace: {duplicates}")
        self.specs = list(specs)
        self.redactor = Redactor.of(v for s in specs for v in s.secrets)
        self._on_tools_changed = on_tools_changed
        self._backoff = backoff
        self._elicitation = elicitation
        self.accounts = accounts
        self.refresh_locks = refresh_locks
        self.redirect_uri = redirect_uri
        self._sups: dict[SessionKey, Supervisor] = {}
        self._names = NameTable()
        self._tools: dict[SessionKey, list[ToolInfo]] = {}
        self._infos: dict[ServerKey, list[ToolInfo]] = {}
        self._opening: dict[SessionKey, asyncio.Lock] = {}
        self._log_redaction = LogRedaction(self.redactor)
        self._open = False

    async def __aenter__(self) -> ConnectorPool:
        self._log_redaction.install()
        for spec in self.specs:
            if not _signs_in(spec):
                self._sups[(spec.key, "")] = self._supervisor(spec, "")
        self._open = True
        return self

    def _supervisor(self, spec: ServerSpec, account: str) -> Supervisor:
        return Supervisor(
            spec,
            Redactor.of(spec.secrets).merge(self.redactor),
            backoff=self._backoff,
            on_tools_changed=self._changed_callback((spec.key, account)),
            elicitation=self._elicitation,
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        try:
            await asyncio.gather(*(s.close() for s in self._sups.values()))
        finally:
            self._log_redaction.uninstall()

    def _changed_callback(self, key: SessionKey) -> Callable[[], None]:
        def changed() -> None:
            self._tools.pop(key, None)
            if self._on_tools_changed is not None:
                self._on_tools_changed()

        return changed

    def _sup(self, key: SessionKey) -> Supervisor:
        if not self._open:
            raise PoolClosed("use the connector pool inside `async with`")
        return self._sups[key]

    # ---- accounts ---------------------------------------------------------------------------

    def spec_of(self, label: str) -> HttpSpec | None:
        """The remote server with this label (`plugin/server`) that needs an account."""
        for spec in self.specs:
            if isinstance(spec, HttpSpec) and spec.signs_in and spec.label == label:
                return spec
        return None

    def account(self, spec: ServerSpec, caller: Caller | None) -> str | None:
        """The account key a call for `caller` uses: '' for no sign-in, None when unknown."""
        if not _signs_in(spec):
            return ""
        if caller is None:
            return None
        assert isinstance(spec, HttpSpec)
        return f"{caller.team_id}:{caller.user_id if spec.connection == 'per_user' else ''}"

    def storage(self, spec: HttpSpec, caller: Caller) -> oauth.AccountStorage:
        if self.accounts is None:
            raise ServerUnavailable(
                f"'{spec.label}' needs a sign-in, and sign-ins are off: set "
                "THREADWORK_SECRET_KEY (see `threadwork doctor`)",
                server=spec.label,
            )
        user = caller.user_id if spec.connection == "per_user" else ""
        return self.accounts.storage(spec.label, caller.team_id, user)

    def _refresh_lock(self, spec: HttpSpec, caller: Caller) -> oauth.RefreshLock | None:
        if self.refresh_locks is None:
            return None
        locks, user = self.refresh_locks, caller.user_id if spec.connection == "per_user" else ""
        return lambda: locks.hold(spec.label, caller.team_id, user)

    async def connected(self, spec: HttpSpec, caller: Caller) -> bool:
        """Whether `caller` (or the workspace, for shared ones) has tokens for `spec`."""
        if not spec.needs_person:
            return True
        return await self.storage(spec, caller).get_tokens() is not None

    async def unconnected(
        self, caller: Caller, namespaces: Collection[str] | None = None
    ) -> list[str]:
        """Labels of the remote servers (of `namespaces`, if given) that need a person's sign-in
        which `caller` cannot use yet."""
        if self.accounts is None:
            return []
        remote = [
            s
            for s in self.specs
            if isinstance(s, HttpSpec)
            and s.needs_person
            and (namespaces is None or s.namespace in namespaces)
        ]
        return [s.label for s in remote if not await self.connected(s, caller)]

    def _person_spec(self, label: str) -> HttpSpec:
        spec = self.spec_of(label)
        if spec is None or not spec.needs_person:
            raise ServerUnavailable(f"no connector '{label}' takes a sign-in", server=label)
        return spec

    async def begin_sign_in(self, label: str, caller: Caller, state: str) -> tuple[str, str]:
        """The authorize URL for `caller` and the (secret) pending values to keep until the
        redirect; see `connectors.oauth`."""
        spec = self._person_spec(label)
        url, pending = await oauth.begin(
            spec, self.storage(spec, caller), redirect_uri=self.redirect_uri, state=state
        )
        return url, pending.dumps()

    async def finish_sign_in(
        self, label: str, caller: Caller, pending: str, *, code: str, iss: str | None
    ) -> None:
        spec = self._person_spec(label)
        await oauth.finish(
            spec, self.storage(spec, caller), oauth.Pending.loads(pending), code=code, iss=iss
        )
        account = self.account(spec, caller)
        stale = self._sups.pop((spec.key, account or ""), None)
        self._tools.pop((spec.key, account or ""), None)
        if stale is not None:
            await stale.close()

    def mode(self, label: str) -> str:
        """How the connector `label` connects: 'per_user', 'shared' or 'none'."""
        spec = self.spec_of(label)
        return spec.connection if spec is not None and spec.needs_person else "none"

    async def disconnect(self, label: str, caller: Caller) -> bool:
        """Revoke the account's tokens where the server supports it (True then), forget them
        here and close the account's session."""
        spec = self._person_spec(label)
        storage = self.storage(spec, caller)
        revoked = await oauth.revoke(storage)
        await storage.forget_tokens()
        account = self.account(spec, caller)
        stale = self._sups.pop((spec.key, account or ""), None)
        self._tools.pop((spec.key, account or ""), None)
        if stale is not None:
            await stale.close()
        return revoked

    async def _session(self, spec: ServerSpec, caller: Caller | None) -> Supervisor:
        """The supervisor of `spec` for `caller`'s account; `SignInRequired` if not connected."""
        account = self.account(spec, caller)
        if account == "":
            return self._sup((spec.key, ""))
        if not self._open:
            raise PoolClosed("use the connector pool inside `async with`")
        assert isinstance(spec, HttpSpec)
        if caller is None or account is None:
            raise SignInRequired(f"'{spec.label}' needs a sign-in", server=spec.label)
        key = (spec.key, account)
        lock = self._opening.setdefault(key, asyncio.Lock())
        async with lock:
            if key in self._sups:
                return self._sups[key]
            storage = self.storage(spec, caller)
            if spec.needs_person and await storage.get_tokens() is None:
                raise SignInRequired(
                    f"'{spec.label}' needs {'your' if spec.connection == 'per_user' else 'a shared'}"
                    " account connected first",
                    server=spec.label,
                )
            auth = await oauth.bearer_auth(
                spec, storage, self.redirect_uri, self._refresh_lock(spec, caller)
            )
            sup = self._supervisor(dataclasses.replace(spec, auth=auth), account)
            self._sups[key] = sup
            return sup

    async def _refused(self, sup: Supervisor, caller: Caller | None) -> bool:
        """After a failure: was it the server refusing the token? Then refresh once; if that is
        no good either, forget the tokens (the person signs in again)."""
        auth = sup.spec.auth if isinstance(sup.spec, HttpSpec) else None
        if not isinstance(auth, oauth.BearerAuth) or not auth.needs_sign_in:
            return False
        assert isinstance(sup.spec, HttpSpec) and caller is not None
        stored = await self.storage(sup.spec, caller).get_tokens()
        held = auth.context.current_tokens
        if stored is not None and held is not None and stored.access_token != held.access_token:
            # Another task, worker or process refreshed (or signed in again) meanwhile.
            auth.context.current_tokens = stored
            auth.context.update_token_expiry(stored)
            auth.needs_sign_in = False
            sup.error = None
            return True
        if getattr(auth, "_refreshed_once", False):
            await self.storage(sup.spec, caller).forget_tokens()
            await self._drop_session(sup)
            raise SignInRequired(
                f"'{sup.spec.label}' no longer accepts the connected account; connect it again",
                server=sup.spec.label,
            )
        auth._refreshed_once = True  # type: ignore[attr-defined]
        auth.force_refresh()
        sup.error = None
        return True

    async def _drop_session(self, sup: Supervisor) -> None:
        for key, found in list(self._sups.items()):
            if found is sup:
                del self._sups[key]
                self._tools.pop(key, None)
        await sup.close()

    # ---- discovery --------------------------------------------------------------------------

    async def list_tools(
        self, namespaces: Collection[str] | None = None, caller: Caller | None = None
    ) -> list[ToolInfo]:
        """Every tool of every reachable server (of `namespaces` only, if given), in spec order
        then server order. Servers outside `namespaces` are not started; servers that need an
        account are listed for `caller` only, and only once connected."""
        specs = [s for s in self.specs if namespaces is None or s.key[0] in namespaces]
        found = await asyncio.gather(*(self._listed(spec, caller) for spec in specs))
        return [t for tools in found for t in tools]

    async def _listed(self, spec: ServerSpec, caller: Caller | None) -> list[ToolInfo]:
        try:
            return await self._server_tools(spec, caller)
        except (SignInRequired, ServerUnavailable):  # not connected, or sign-ins are off
            return []

    async def _server_tools(
        self, spec: ServerSpec, caller: Caller | None, *, retry_now: bool = False
    ) -> list[ToolInfo]:
        if self.account(spec, caller) is None:
            return []
        sup = await self._session(spec, caller)
        key = (spec.key, self.account(spec, caller) or "")
        cached = self._tools.get(key)
        if cached is not None and sup.tools is not None:
            return cached
        try:
            if retry_now:
                await self._reconnect(sup)
            raw = await sup.list_tools()
        except ConnectorError as exc:
            if await self._refused(sup, caller):
                return await self._server_tools(spec, caller, retry_now=True)
            log.warning("listing tools of '%s' failed: %s", sup.spec.label, exc.message)
            if sup.error is None:
                sup.error = exc.message
            self._tools.pop(key, None)
            return []
        ns, server = spec.key
        self._names.drop_server(ns, server)
        infos: list[ToolInfo] = []
        for tool in raw:
            if not sup.spec.offers(tool.name):
                continue
            try:
                name = self._names.register(ns, server, tool.name)
            except ConnectorError as exc:
                log.warning("skipping a tool of '%s': %s", sup.spec.label, exc.message)
                continue
            infos.append(
                tool_info(
                    tool, model_name=name, server=server, namespace=ns, connection=_mode(spec)
                )
            )
        self._tools[key] = infos
        self._infos[spec.key] = infos
        return infos

    def tool(self, model_name: str) -> ToolInfo:
        """The listed tool behind a model-facing name (call `list_tools` first)."""
        key = self._names.lookup(model_name)
        if key is not None:
            for info in self._infos.get((key.namespace, key.server), []):
                if info.model_name == model_name:
                    return info
        raise ToolNotFound(f"no tool named '{model_name}' is available", tool=model_name)

    def status(self, caller: Caller | None = None) -> list[ServerStatus]:
        return [self._status(spec, caller) for spec in self.specs]

    def _status(self, spec: ServerSpec, caller: Caller | None) -> ServerStatus:
        account = self.account(spec, caller)
        sup = self._sups.get((spec.key, account)) if account is not None else None
        facts = sup.facts if sup else None
        tools = self._tools.get((spec.key, account)) if account is not None else None
        reachable = bool(sup and sup.error is None and facts is not None)
        return ServerStatus(
            server=spec.name,
            namespace=spec.namespace,
            kind=spec.kind,
            reachable=reachable,
            error=sup.error if sup else None,
            protocol_version=facts.protocol_version if facts else None,
            server_name=facts.server_name if facts else None,
            server_version=facts.server_version if facts else None,
            tool_count=len(tools) if tools is not None and reachable else None,
            restarts=sup.restarts if sup else 0,
            sign_in=_sign_in(spec),
        )

    async def check(self) -> list[ServerStatus]:
        """Connect to every server now (ignoring back-off) and list its tools; servers that need
        a person's account are reported as such, not connected."""
        await asyncio.gather(
            *(self._server_tools(s, None, retry_now=True) for s in self.specs if not _signs_in(s))
        )
        return self.status()

    # ---- calls ------------------------------------------------------------------------------

    async def call(
        self,
        model_name: str,
        arguments: dict[str, Any] | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        caller: Caller | None = None,
        elicitor: Elicitor | None = None,
    ) -> ToolCallResult:
        """Run one tool as `caller`. Failures come back as `is_error` results with a short,
        clear text; `SignInRequired` is raised: the caller must ask the person to connect.
        The server's elicitation requests during the call go to `elicitor` (when the pool
        advertises elicitation, i.e. was given a default `elicitation`)."""
        started = time.monotonic()
        try:
            if arguments is not None and not isinstance(arguments, dict):
                return ToolCallResult.error(
                    f"arguments for '{model_name}' must be a JSON object, "
                    f"not {type(arguments).__name__}"
                )
            info = await self._resolve(model_name, caller)
            spec = self._spec((info.namespace, info.server))
            sup = await self._session(spec, caller)
            raw = await self._call(sup, caller, info.name, arguments or {}, on_progress, elicitor)
        except SignInRequired:
            raise
        except ConnectorError as exc:
            message = self.redactor(exc.message)
            log.warning("tool call '%s' failed: %s", model_name, message)
            return ToolCallResult.error(message, duration_s=time.monotonic() - started)
        return call_result(
            raw,
            redactor=sup.redactor,
            limit=sup.spec.max_output_chars,
            duration_s=time.monotonic() - started,
        )

    async def _call(
        self,
        sup: Supervisor,
        caller: Caller | None,
        name: str,
        arguments: dict[str, Any],
        on_progress: ProgressCallback | None,
        elicitor: Elicitor | None = None,
    ) -> Any:
        retried = False
        while True:
            try:
                if retried:
                    await self._reconnect(sup)
                return await sup.call_tool(name, arguments, on_progress, elicitor)
            except ConnectorError:
                # A refused token never reached the tool, so one retry after a refresh is safe.
                if await self._refused(sup, caller) and not retried:
                    retried = True
                    continue
                raise

    async def _reconnect(self, sup: Supervisor) -> None:
        """Connect again now; the failure of the session just lost may still be landing."""
        try:
            await sup.client(retry_now=True)
        except ServerUnavailable:
            await sup.client(retry_now=True)

    def _spec(self, key: ServerKey) -> ServerSpec:
        return next(s for s in self.specs if s.key == key)

    async def _resolve(self, model_name: str, caller: Caller | None = None) -> ToolInfo:
        try:
            return self.tool(model_name)
        except ToolNotFound:
            pass
        owner = self._owner_by_prefix(model_name)
        if owner is not None:
            spec = self._spec(owner)
            await self._server_tools(spec, caller)
            account = self.account(spec, caller)
            sup = self._sups.get((owner, account)) if account is not None else None
            if sup is not None and sup.error and not self._tools.get((owner, account or "")):
                raise ServerUnavailable(
                    f"server '{sup.spec.label}' is unavailable: {sup.error}",
                    server=sup.spec.name,
                    tool=model_name,
                )
        else:
            await self.list_tools(caller=caller)
        try:
            return self.tool(model_name)
        except ToolNotFound:
            raise ToolNotFound(
                f"no tool named '{model_name}' is available; use one of the listed tools",
                tool=model_name,
            ) from None

    def _owner_by_prefix(self, model_name: str) -> ServerKey | None:
        best: tuple[int, ServerKey] | None = None
        for spec in self.specs:
            prefix = naming.server_prefix(spec.namespace, spec.name)
            if prefix and model_name.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), spec.key)
        return best[1] if best else None


def _signs_in(spec: ServerSpec) -> bool:
    return isinstance(spec, HttpSpec) and spec.signs_in


def _mode(spec: ServerSpec) -> Literal["per_user", "shared", "none"]:
    """Whose account a call of `spec` uses (a service account is nobody's in particular)."""
    if isinstance(spec, HttpSpec) and spec.needs_person and spec.connection != "none":
        return spec.connection
    return "none"


def _sign_in(spec: ServerSpec) -> str | None:
    if not isinstance(spec, HttpSpec) or not spec.signs_in:
        return None
    if not spec.needs_person:
        return "as a service account"
    return "per user" if spec.connection == "per_user" else "once, shared by the workspace"
