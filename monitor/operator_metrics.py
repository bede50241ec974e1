"""Prometheus figures for the operator, read from the shared database at each scrape.

Every name starts `brand_monitor_`; the README's "Health and metrics" lists them. The figures
come from the database (monitor/store_operator.py), so any replica or worker gives the whole
deployment's; only `brand_monitor_classifier_seconds` is this process's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.store import Store
from monitor.store_operator import figures

#: Seconds the classifier took per post, observed once per batch (time / posts), this process.
CLASSIFIER_SECONDS = Histogram(
    "brand_monitor_classifier_seconds", "Classifier time per post (this process), per batch.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0), registry=None)
SOURCE_LABELS = ("brand", "source", "platform")


def observe_classifier(seconds: float, posts: int) -> None:
    if posts:
        CLASSIFIER_SECONDS.observe(seconds / posts)


class DatabaseCollector(Collector):
    """Collects the shared figures from `store` at each scrape."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        f = figures(self.store, now)
        polls = CounterMetricFamily("brand_monitor_polls", "Polls of each source, by every process.",
                                    labels=SOURCE_LABELS)
        errors = CounterMetricFamily("brand_monitor_poll_errors", "Polls of each source that failed.",
                                     labels=SOURCE_LABELS)
        lag = GaugeMetricFamily("brand_monitor_source_lag_seconds",
                                "Seconds since the source's last successful poll.", labels=SOURCE_LABELS)
        failing = GaugeMetricFamily("brand_monitor_source_failures",
                                    "Failed polls in a row (0: healthy).", labels=SOURCE_LABELS)
        for s in f.sources:
            labels = [s.brand_id, s.source, s.platform]
            polls.add_metric(labels, s.polls_total)
            errors.add_metric(labels, s.errors_total)
            failing.add_metric(labels, s.consecutive_failures)
            if s.last_success_at is not None:
                lag.add_metric(labels, max(0.0, (now - s.last_success_at).total_seconds()))
        yield from (polls, errors, lag, failing)
        yield CounterMetricFamily("brand_monitor_mentions", "Mentions stored.", value=f.mentions)
        yield CounterMetricFamily("brand_monitor_complaints", "Mentions judged complaints.",
                                  value=f.complaints)
        cases = GaugeMetricFamily("brand_monitor_cases", "Cases open now, and of them overdue.",
                                  labels=["state"])
        cases.add_metric(["open"], f.open_cases)
        cases.add_metric(["overdue"], f.overdue_cases)
        yield cases
        yield CounterMetricFamily("brand_monitor_alerts_sent", "Slack messages sent.",
                                  value=f.outbox.get("sent", 0))
        yield GaugeMetricFamily("brand_monitor_outbox_queued", "Slack messages waiting to be sent.",
                                value=f.outbox.get("pending", 0) + f.outbox.get("sending", 0))
        yield GaugeMetricFamily("brand_monitor_outbox_given_up", "Slack messages given up.",
                                value=f.outbox.get("dead", 0))
        age = (now - f.oldest_queued).total_seconds() if f.oldest_queued else 0.0
        yield GaugeMetricFamily("brand_monitor_outbox_oldest_age_seconds",
                                "Age of the oldest Slack message still waiting (0: none).", value=age)
        if f.engine is not None:
            jobs = GaugeMetricFamily("brand_monitor_jobs", "Job engine jobs by queue, task and status.",
                                     labels=["queue", "task", "status"])
            for (queue, task, status), n in sorted(f.engine.jobs.items()):
                jobs.add_metric([queue, task, status], n)
            yield jobs
            yield GaugeMetricFamily("brand_monitor_workers", "Workers registered with the job engine.",
                                    value=len(f.engine.workers))


def build_registry(store: Store, clock: Callable[[], datetime]) -> CollectorRegistry:
    """A registry of its own (not prometheus_client's global one) for one runtime."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(store, clock))
    registry.register(CLASSIFIER_SECONDS)
    return registry
