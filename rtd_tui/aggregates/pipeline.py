"""``--source aggregates``: the pipeline with the aggregates reader in place of the raw one.

The producer (``p``, ``+``, ``-``) and the one-off publisher still write to the raw
topic; the store is an ``AggregateStore`` fed by the aggregates reader and the raw
tail. The status adds what the job is doing: its lag on the raw topic and how old
its newest aggregate is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from rtd_tui.aggregates.raw_tail import RawTail
from rtd_tui.aggregates.reader import AggregatesLoop
from rtd_tui.aggregates.store import AggregateStore
from rtd_tui.config import Settings
from rtd_tui.generator import PoolsBuild, RecordGenerator
from rtd_tui.pipeline import JobProgress, Pipeline, PipelineStatus, StreamReader


def aggregates_topic(settings: Settings) -> str:
    """The topic the job writes: ``--aggregates-topic``, else ``<topic>-aggregates``."""
    return settings.aggregates_topic or f"{settings.topic}-aggregates"


class AggregatesPipeline(Pipeline):
    """The dashboard's pipeline when it shows a job's aggregates."""

    def __init__(
        self, settings: Settings, store: AggregateStore,
        generator: RecordGenerator | PoolsBuild | None = None, *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(settings, store, generator)
        self.aggregates = store
        self.wall_clock = wall_clock
        self.raw_tail: RawTail | None = None

    def reader(self, config: dict[str, object]) -> StreamReader:
        """The aggregates reader, with the raw tail beside it (on the same refresh)."""
        self.raw_tail = RawTail(config, self.settings.topic, self.aggregates,
                                self.settings.refresh, on_tail=self.tail.add)
        return AggregatesLoop(config, aggregates_topic(self.settings), self.aggregates,
                              self.raw_tail)

    def status(self) -> PipelineStatus:
        return replace(super().status(), job=self.job_progress())

    def job_progress(self) -> JobProgress:
        """The job's lag from its committed offsets (in seconds: the age of the oldest raw
        message it has not read, from the lag watch), and the newest aggregate's age."""
        tail = self.raw_tail
        lag = lag_s = None
        if tail is not None and tail.committed:
            lag = sum(p.lag for p in tail.partitions)
            lag_s = self.lag_watch.report().total.seconds if self.lag_watch else None
        newest = self.aggregates.newest_ms
        age = None if newest is None else max(0.0, self.wall_clock() - newest / 1000)
        malformed, last_error = self.aggregates.malformed
        return JobProgress(aggregates_topic(self.settings), lag, lag_s, age, malformed,
                           last_error)
