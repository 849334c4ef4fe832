"""The telemetry port's implementation: Prometheus metrics and OpenTelemetry spans of the work.

One `Observability` per runtime, with its own Prometheus registry (two runtimes in one process
never share counters) and its own tracer provider. Spans are exported over OTLP/HTTP when
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the exporter reads
the other standard `OTEL_*` variables (headers, timeout, protocol options) itself. Gauges of shared
state (queue, approvals, tasks) are set at scrape time by `bot.probes`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from opentelemetry.trace import NoOpTracerProvider
from opentelemetry.trace import TracerProvider as AnyTracerProvider
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from bot.settings import Settings
from orchestrator.adapters.redis.checkpoints import PendingStats
from orchestrator.adapters.redis.queue import QueueStats
from orchestrator.domain.task import Usage
from orchestrator.ports import SpanValue

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


def tracer_provider(settings: Settings, *, role: str) -> AnyTracerProvider:
    """An OTLP-exporting provider when an endpoint is configured, else one that records nothing."""
    if not (settings.otel_endpoint or settings.otel_traces_endpoint) or settings.otel_sdk_disabled:
        return NoOpTracerProvider()
    # Imported only when tracing is on: the SDK and exporter add start-up time to every process.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": settings.otel_service_name, "threadwork.role": role}
        )
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


class _SlackRateLimits(Collector):
    """Reads the notifier's own count of 429 answers at scrape time."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self) -> Iterable[CounterMetricFamily]:
        family = CounterMetricFamily(
            "threadwork_slack_rate_limited", "Slack Web API calls answered 429 (then retried)."
        )
        family.add_metric([], self._count())
        yield family


class Observability:
    """`orchestrator.ports.Telemetry` over Prometheus and OpenTelemetry."""

    def __init__(self, *, tracing: AnyTracerProvider | None = None) -> None:
        self.registry = CollectorRegistry()
        self.tracing = tracing or NoOpTracerProvider()
        self._tracer = self.tracing.get_tracer("threadwork")
        r = self.registry
        self.model_tokens = Counter(
            "threadwork_model_tokens",
            "Model tokens used, by model and kind (input, output, cache_read, cache_write).",
            ["model", "kind"],
            registry=r,
        )
        self.model_seconds = Histogram(
            "threadwork_model_call_seconds",
            "Latency of one model turn (retries included), by model and outcome.",
            ["model", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tool_seconds = Histogram(
            "threadwork_tool_call_seconds",
            "Latency of one connector tool call, by connector (plugin/server) and outcome.",
            ["connector", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tasks = Gauge(
            "threadwork_tasks", "Tasks in the activity log, by status.", ["status"], registry=r
        )
        self.queue_jobs = Gauge(
            "threadwork_queue_jobs",
            "Jobs on the queue: waiting (unread) and in_progress (read, not acknowledged).",
            ["state"],
            registry=r,
        )
        self.queue_lag = Gauge(
            "threadwork_queue_lag_seconds", "Age of the oldest unfinished job.", registry=r
        )
        self.approvals_pending = Gauge(
            "threadwork_approvals_pending", "Checkpoints waiting for a decision.", registry=r
        )
        self.approval_age = Gauge(
            "threadwork_approval_oldest_wait_seconds",
            "How long the oldest pending checkpoint has waited.",
            registry=r,
        )
        self.dependency_up = Gauge(
            "threadwork_dependency_up",
            "1 when the dependency answered the last probe (redis, sql), else 0.",
            ["dependency"],
            registry=r,
        )

    def count_slack_rate_limits(self, count: Callable[[], int]) -> None:
        self.registry.register(_SlackRateLimits(count))

    # -- the Telemetry port --------------------------------------------------------------------

    @contextlib.contextmanager
    def span(self, name: str, **attributes: SpanValue) -> Iterator[None]:
        with self._tracer.start_as_current_span(name, attributes=_attrs(attributes)):
            yield

    def span_between(
        self, name: str, start_s: float, end_s: float, **attributes: SpanValue
    ) -> None:
        span = self._tracer.start_span(name, start_time=_ns(start_s), attributes=_attrs(attributes))
        span.end(end_time=_ns(max(start_s, end_s)))

    def model_called(self, *, model: str, usage: Usage, seconds: float, outcome: str) -> None:
        self.model_seconds.labels(model, outcome).observe(seconds)
        for kind, count in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cache_read", usage.cache_read_tokens),
            ("cache_write", usage.cache_write_tokens),
        ):
            if count:
                self.model_tokens.labels(model, kind).inc(count)

    def tool_called(self, *, connector: str, seconds: float, outcome: str) -> None:
        self.tool_seconds.labels(connector, outcome).observe(seconds)

    # -- state read at scrape time -------------------------------------------------------------

    def observe_queue(self, stats: QueueStats) -> None:
        self.queue_jobs.labels("waiting").set(stats.waiting)
        self.queue_jobs.labels("in_progress").set(stats.in_progress)
        self.queue_lag.set(stats.oldest_age_s)

    def observe_approvals(self, stats: PendingStats) -> None:
        self.approvals_pending.set(stats.count)
        self.approval_age.set(stats.oldest_age_s)

    def observe_tasks(self, by_status: dict[str, int]) -> None:
        self.tasks.clear()
        for status, count in by_status.items():
            self.tasks.labels(status).set(count)

    def observe_dependency(self, name: str, up: bool) -> None:
        self.dependency_up.labels(name).set(1 if up else 0)

    def shutdown(self) -> None:
        """Flush spans still buffered (an SDK provider only; the no-op one has nothing)."""
        shutdown = getattr(self.tracing, "shutdown", None)
        if callable(shutdown):
            shutdown()


def _attrs(attributes: dict[str, SpanValue]) -> dict[str, SpanValue]:
    return {f"threadwork.{key}": value for key, value in attributes.items()}


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)
