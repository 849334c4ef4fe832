"""Assemble: one call wires the real adapters (Redis, SQL, Anthropic, MCP) into a running orchestrator.

The only place where the orchestrator's adapters are built and connected to the engine. The edge
passes plain typed `Options` (`orchestrator.options`) and the ports it implements itself
(`Notifier`, `Directory`), and gets back an `Assembly`: the service for the edge, a worker
factory, and the parts the CLI checks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from anthropic import AsyncAnthropic, DefaultAioHttpClient
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors import DECLINED, ConnectorPool, ElicitationReply, ElicitationRequest, ServerSpec
from connectors.sandbox import BubblewrapSandbox, Workspaces
from orchestrator.adapters.anthropic import AnthropicModel
from orchestrator.adapters.outbox import OutboxedActivityLog
from orchestrator.adapters.redis.checkpoints import RedisCheckpointStore
from orchestrator.adapters.redis.client import connect
from orchestrator.adapters.redis.elicitations import RedisElicitations
from orchestrator.adapters.redis.home_visits import RedisHomeVisits
from orchestrator.adapters.redis.intake import RedisIntake
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.lease import RedisLeases
from orchestrator.adapters.redis.outbox import RedisOutbox
from orchestrator.adapters.redis.queue import RedisJobQueue
from orchestrator.adapters.redis.rates import RedisRateBudget
from orchestrator.adapters.redis.refresh_locks import RedisRefreshLocks
from orchestrator.adapters.redis.signals import RedisTaskSignals
from orchestrator.adapters.redis.signins import RedisSignInStore
from orchestrator.adapters.redis.spend import RedisSpendLedger
from orchestrator.adapters.redis.tasks import RedisTaskStore
from orchestrator.adapters.sealing import Sealer
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine, upgrade
from orchestrator.adapters.sql.connections import SqlAccountList, SqlConnectionStore
from orchestrator.domain.pricing import Price, PriceTable
from orchestrator.engine.approvals import Approvals
from orchestrator.engine.control import Control
from orchestrator.engine.elicitations import Elicitations
from orchestrator.engine.home import Homes, RefreshingCheckpoints, RefreshingLog
from orchestrator.engine.questions import Questions
from orchestrator.engine.reports import Reports
from orchestrator.engine.runner import Runner
from orchestrator.engine.signins import SignIns
from orchestrator.engine.worker import Worker
from orchestrator.errors import SecretKeyInvalid
from orchestrator.options import ModelOptions, Options
from orchestrator.ports import (
    ActivityLog,
    AssistantPane,
    CheckpointStore,
    Directory,
    HomeTab,
    HomeVisits,
    NoTelemetry,
    Notifier,
    Telemetry,
    ThreadFiles,
    ThreadHistory,
)
from orchestrator.service import Orchestrator
from orchestrator.tools.catalog import Catalog
from orchestrator.tools.connections import Unavailable, server_specs
from orchestrator.tools.execution import Execution
from orchestrator.tools.toolbox import PluginToolbox
from plugins import AdminConfig, PluginRegistry, load_admin_config

log = logging.getLogger(__name__)

REDIS_WAIT_S = 10.0
"""How long a request waits for a free Redis connection when the pool is exhausted."""


CLUSTER_JOB_STREAMS = 4
"""Job stream shards on a Redis Cluster unless THREADWORK_JOB_STREAMS says otherwise."""


def job_shards(options: Options, redis: Redis) -> int:
    if options.job_streams is not None:
        return options.job_streams
    return CLUSTER_JOB_STREAMS if isinstance(redis, RedisCluster) else 1


def anthropic_client(options: ModelOptions) -> AsyncAnthropic:
    """The SDK client, with its own retries off: `AnthropicModel` owns the retry policy.

    It sends through aiohttp (the SDK's own aiohttp transport, aiohttp being the Slack client's
    too) rather than httpx: a streamed turn costs the worker less CPU that way. Its connections
    open on the first call, in the running event loop; `close()` it once at the end."""
    return AsyncAnthropic(
        api_key=options.api_key,
        base_url=options.base_url,
        max_retries=0,
        timeout=options.timeout_s,
        http_client=DefaultAioHttpClient(),
    )


@dataclass
class Assembly:
    """A wired orchestrator. `open` before serving, `aclose` once at the end."""

    options: Options
    redis: Redis
    engine: AsyncEngine
    notifier: Notifier
    orchestrator: Orchestrator
    runner: Runner
    queue: RedisJobQueue
    leases: RedisLeases
    store: RedisTaskStore
    checkpoints: RedisCheckpointStore
    signals: RedisTaskSignals
    activity: SqlActivityLog
    """The activity log's SQL store (reads; writes go through `recorder`)."""
    recorder: OutboxedActivityLog
    """Where the engine writes activity: SQL, or the Redis outbox while SQL is unreachable."""
    approvals: Approvals
    config: AdminConfig
    registry: PluginRegistry
    pool: ConnectorPool
    unavailable: list[Unavailable]
    connections: SqlConnectionStore | None = None
    """Sealed connector tokens; None without a usable `THREADWORK_SECRET_KEY`."""
    execution: Execution | None = None
    sandbox: BubblewrapSandbox | None = None
    workspaces: Workspaces | None = None
    questions: Questions | None = None
    history: ThreadHistory | None = None
    homes: Homes | None = None
    rates: RedisRateBudget | None = None
    """Shared call budgets (Slack's per-workspace method limits)."""
    signins: SignIns | None = None
    """Connector sign-ins; None without both a secret key and a public URL."""
    model_client: AsyncAnthropic | None = None
    """The model API's client (its connections are closed by `aclose`)."""
    _open: bool = False

    async def open(self) -> None:
        """Start what needs a running loop (the connector pool; servers start lazily)."""
        if not self._open:
            await self.pool.__aenter__()
            self._open = True

    async def migrate(self) -> None:
        """Bring the activity log's schema to the latest migration (idempotent)."""
        await upgrade(self.engine)

    def worker(self) -> Worker:
        options = self.options
        return Worker(
            queue=self.queue,
            leases=self.leases,
            store=self.store,
            runner=self.runner,
            activity=self.recorder,
            signals=self.signals,
            model=options.model.model,
            concurrency=options.workers,
            reclaim_after_s=options.reclaim_after_s,
            stop_grace_s=options.stop_grace_s,
            sweep=self._sweep,
            intake=self.execution.receive if self.execution else None,
            questions=self.questions,
            history=self.history,
        )

    async def _sweep(self) -> int:
        """Deadlines of checkpoints and questions, activity rows waiting in the outbox, then
        (every few minutes) expired workspaces."""
        done = await self.approvals.sweep()
        done += await self.recorder.drain()
        if self.questions is not None:
            done += await self.questions.sweep()
        if self.signins is not None:
            done += await self.signins.sweep()
        if self.execution is not None:
            done += await self.execution.sweep()
        return done

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            await self.pool.__aexit__(None, None, None)
        await self.notifier.flush()
        if self.homes is not None:
            await self.homes.flush()
        await self.redis.aclose()
        await self.engine.dispose()
        if self.model_client is not None:
            await self.model_client.close()


async def _unclaimed(request: ElicitationRequest) -> ElicitationReply:
    return DECLINED


def price_table(config: AdminConfig) -> PriceTable:
    """The admin's `pricing:` entries (cache prices defaulting to the API's ratios), then the
    built-in defaults."""
    entries = {}
    for pattern, entry in config.pricing.items():
        default = Price.from_input(entry.input, entry.output)
        entries[pattern] = Price(
            input=entry.input,
            output=entry.output,
            cache_write_5m=_or(entry.cache_write_5m, default.cache_write_5m),
            cache_write_1h=_or(entry.cache_write_1h, default.cache_write_1h),
            cache_read=_or(entry.cache_read, default.cache_read),
        )
    return PriceTable.of(entries)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def assemble(
    options: Options,
    *,
    notifier: Notifier,
    directory: Directory,
    telemetry: Telemetry | None = None,
    files: ThreadFiles | None = None,
    history: ThreadHistory | None = None,
    home_tab: HomeTab | None = None,
    pane: AssistantPane | None = None,
) -> Assembly:
    """Wire every adapter. Raises `plugins.ConfigError` when threadwork.yaml is invalid.

    Without `files` (an edge that cannot move files) the workspace tools are not offered;
    without `home_tab` nobody's App Home is published.
    """
    telemetry = telemetry or NoTelemetry()
    config, registry, specs, unavailable = _plugins(options)
    engine = make_engine(options.database_url)
    connections = connection_store(engine, options.secret_key)
    signing_in = connections if options.public_url else None
    if connections is not None and not options.public_url:
        log.info("connections that need a sign-in are off: THREADWORK_PUBLIC_URL is not set")
    # A blocking pool: a burst of requests waits for a free connection instead of failing.
    redis = connect(
        options.redis_url, max_connections=options.redis_max_connections, wait_s=REDIS_WAIT_S
    )
    keys = Keys(
        options.redis_prefix,
        job_shards=job_shards(options, redis),
        cluster=isinstance(redis, RedisCluster),
    )
    # Elicitation is advertised; a request no tool call of ours claims is declined.
    pool = ConnectorPool(
        specs,
        elicitation=_unclaimed,
        accounts=signing_in.accounts() if signing_in is not None else None,
        refresh_locks=RedisRefreshLocks(redis, keys=keys),
        redirect_uri=callback_url(options.public_url or "http://localhost"),
    )
    store = RedisTaskStore(redis, keys=keys, ttl_s=options.task_ttl_s)
    queue = RedisJobQueue(redis, keys=keys)
    signals = RedisTaskSignals(redis, keys=keys)
    activity = SqlActivityLog(engine)
    recorder = OutboxedActivityLog(activity, RedisOutbox(redis, keys=keys))
    model_client = anthropic_client(options.model)
    model = AnthropicModel(
        model_client,
        max_attempts=options.model.max_attempts,
        retry_base_s=options.model.retry_base_s,
    )
    checkpoints = RedisCheckpointStore(redis, keys=keys, ttl_s=options.task_ttl_s)
    homes, watched, recorded = _home_refresh(
        home_tab,
        engine=engine,
        activity=activity,
        recorder=recorder,
        checkpoints=checkpoints,
        directory=directory,
        visits=RedisHomeVisits(redis, keys=keys),
    )
    approvals = Approvals(
        store=watched,
        queue=queue,
        notifier=notifier,
        directory=directory,
        activity=recorder,
        config=config.approvals,
        telemetry=telemetry,
    )
    sandbox = BubblewrapSandbox(venv=options.execution.sandbox_venv)
    workspaces = Workspaces(options.execution.workspaces, owner=sandbox.owner)
    execution = None
    if files is not None:
        execution = Execution(
            sandbox=sandbox,
            workspaces=workspaces,
            files=files,
            activity=recorder,
            config=config.execution,
            idle_s=options.task_ttl_s,
        )
    elicitations = Elicitations(
        store=store,
        elicitations=RedisElicitations(redis, keys=keys),
        signals=signals,
        notifier=notifier,
        activity=recorder,
        wait=config.questions.elicitation_wait,
    )
    questions = Questions(
        store=store,
        queue=queue,
        signals=signals,
        notifier=notifier,
        activity=recorder,
        expire_after=config.questions.expire_after,
    )
    catalog = Catalog(registry, config)
    signins = None
    if signing_in is not None:
        signins = SignIns(
            provider=pool,
            store=RedisSignInStore(redis, keys=keys, sealer=signing_in.sealer),
            tasks=store,
            queue=queue,
            notifier=notifier,
            activity=recorder,
            ttl_s=options.sign_in_ttl_s,
        )
    runner = Runner(
        store=store,
        model=model,
        notifier=notifier,
        activity=recorded,
        toolbox=PluginToolbox(
            catalog=catalog,
            config=config,
            tools=pool,
            activity=recorder,
            approvals=approvals,
            models=dict(options.model.aliases),
            limits=config.limits,
            telemetry=telemetry,
            execution=execution,
            questions=questions,
            elicitations=elicitations,
            signins=signins,
        ),
        limits=config.limits,
        signals=signals,
        max_output_tokens=options.model.max_output_tokens,
        telemetry=telemetry,
        prices=price_table(config),
        spend=RedisSpendLedger(redis, keys=keys),
    )
    control = Control(
        store=store,
        queue=queue,
        signals=signals,
        directory=directory,
        notifier=notifier,
        approvals=config.approvals,
        admins=config.admins,
    )
    return Assembly(
        options=options,
        redis=redis,
        model_client=model_client,
        rates=RedisRateBudget(redis, keys=keys),
        engine=engine,
        notifier=notifier,
        orchestrator=Orchestrator(
            store=store,
            queue=queue,
            approvals=approvals,
            control=control,
            signals=signals,
            questions=questions,
            activity=recorder,
            notifier=notifier,
            homes=homes,
            elicitations=elicitations,
            catalog=catalog,
            pane=pane,
            reports=Reports(activity),
            signins=signins,
            intake=RedisIntake(redis, keys=keys, ttl_s=options.task_ttl_s),
        ),
        runner=runner,
        queue=queue,
        leases=RedisLeases(redis, keys=keys, ttl_s=options.reclaim_after_s),
        store=store,
        checkpoints=checkpoints,
        signals=signals,
        activity=activity,
        recorder=recorder,
        approvals=approvals,
        config=config,
        registry=registry,
        pool=pool,
        unavailable=unavailable,
        connections=connections,
        execution=execution,
        questions=questions,
        history=history,
        homes=homes,
        signins=signins,
        sandbox=sandbox,
        workspaces=workspaces,
    )


def _plugins(
    options: Options,
) -> tuple[AdminConfig, PluginRegistry, list[ServerSpec], list[Unavailable]]:
    """threadwork.yaml, its plugins and their connectors; each problem, and each connector that is
    off, logged."""
    config = load_admin_config(options.config_path)
    registry = PluginRegistry.load(config.plugins)
    for problem in registry.problems:
        log.log(logging.ERROR if problem.severity == "error" else logging.INFO, "%s", problem)
    specs, unavailable = server_specs(registry, config, options.environ)
    for item in unavailable:
        log.warning("connector %s is off: %s", item.server, item.reason)
    return config, registry, specs, unavailable


def _home_refresh(
    home_tab: HomeTab | None,
    *,
    engine: AsyncEngine,
    activity: SqlActivityLog,
    recorder: ActivityLog,
    checkpoints: CheckpointStore,
    directory: Directory,
    visits: HomeVisits,
) -> tuple[Homes | None, CheckpointStore, ActivityLog]:
    """With an App Home to publish: its publisher, and the checkpoint store and activity log the
    engine writes through so that every change refreshes the Homes it shows in."""
    if home_tab is None:
        return None, checkpoints, recorder
    homes = Homes(
        tasks=activity,
        checkpoints=checkpoints,
        directory=directory,
        accounts=SqlAccountList(engine),
        tab=home_tab,
        visits=visits,
    )
    return homes, RefreshingCheckpoints(checkpoints, homes), RefreshingLog(recorder, homes)


def callback_url(public_url: str) -> str:
    """Where a connector's sign-in sends the browser back: `<public URL>/oauth/callback`."""
    return public_url.rstrip("/") + "/oauth/callback"


def connection_store(engine: AsyncEngine, secret_key: str | None) -> SqlConnectionStore | None:
    """The sealed connection store, or None (logged) when the key is missing or malformed."""
    try:
        return SqlConnectionStore(engine, Sealer.from_setting(secret_key))
    except SecretKeyInvalid as exc:
        log.info("connections that need a sign-in are off: %s", exc)
        return None
