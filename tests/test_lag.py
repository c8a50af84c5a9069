"""Lag rates, the catch-up estimate and ``LagWatch`` rounds, on injected clocks."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from rtd_tui.consumer import PartitionInfo
from rtd_tui.lag import (
    MIN_RATE_SPAN_S,
    LagReport,
    PartitionLag,
    Position,
    RateTracker,
    Trend,
    trend,
)
from rtd_tui.lag_watch import LagWatch


@pytest.mark.parametrize(("messages", "consume", "produce", "expected"), [
    (0, None, None, Trend("caught up")),
    (0, 5.0, 50.0, Trend("caught up")),
    (400, None, None, Trend("measuring")),
    (400, 30.0, 20.0, Trend("catching up", eta=40.0)),
    (400, 80.0, 200.0, Trend("falling behind", gap=120.0)),
    (400, 50.0, 50.0, Trend("keeping pace")),
    (400, 0.0, 0.0, Trend("stalled")),
    (40, 2_000.0, 2_000.0, Trend("caught up")),  # under a second's worth: in flight
    (4_000, 1_000.0, 1_020.0, Trend("keeping pace")),  # within 5 %: the noise of a stream
])
def test_trend(messages: int, consume: float | None, produce: float | None,
               expected: Trend) -> None:
    assert trend(messages, consume, produce) == expected


def test_rates_over_the_last_minute() -> None:
    rates = RateTracker()
    rates.add(0.0, [Position(0, 0, 1_000)])
    rates.add(MIN_RATE_SPAN_S / 2, [Position(0, 10, 1_000)])
    assert rates.rates(0) is None  # too short a span to say
    rates.add(30.0, [Position(0, 600, 1_300)])
    assert rates.rates(0) == (20.0, 10.0)
    rates.add(90.0, [Position(0, 3_000, 1_900)])  # the first two have left the minute
    assert rates.rates(0) == (40.0, 10.0)  # from t=30 on
    assert rates.rates(1) is None


def test_a_replay_starts_the_rates_over() -> None:
    rates = RateTracker()
    rates.add(0.0, [Position(0, 500, 1_000)])
    rates.add(10.0, [Position(0, 900, 1_000)])
    rates.add(11.0, [Position(0, 0, 1_000)])  # read again from the beginning
    assert rates.rates(0) is None
    rates.add(21.0, [Position(0, 300, 1_000)])
    assert rates.rates(0) == (30.0, 0.0)


def test_unknown_watermarks_are_not_samples() -> None:
    rates = RateTracker()
    rates.add(0.0, [Position(0, 0, -1)])
    rates.add(10.0, [Position(0, 0, -1)])
    assert rates.rates(0) is None


def test_the_total_adds_messages_and_rates_and_keeps_the_oldest_age() -> None:
    report = LagReport((
        PartitionLag(0, 100, 12.0, 10.0, 5.0),
        PartitionLag(1, 300, 40.0, 20.0, 5.0),
        PartitionLag(2, 0, 0.0, 1.0, 1.0),
    ))
    assert report.total == PartitionLag(None, 400, 40.0, 31.0, 11.0)
    assert report.total.trend == Trend("catching up", eta=20.0)
    unknown = LagReport((PartitionLag(0, 100, None, None, 5.0), PartitionLag(1, 0, 0.0, 1, 1)))
    assert unknown.total == PartitionLag(None, 100, None, None, 6.0)
    assert LagReport().total == PartitionLag(None, 0, 0.0, None, None)


class Clocks:
    """A monotonic and a wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.mono = 0.0
        self.wall = 1_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


def test_watch_measures_age_from_the_oldest_unread_message_and_asks_once() -> None:
    clocks = Clocks()
    parts = [PartitionInfo(0, 0, 100, 40), PartitionInfo(1, 0, 50, 50)]
    asked: list[dict[int, int]] = []

    def stamps(offsets: Mapping[int, int]) -> dict[int, float]:
        asked.append(dict(offsets))
        return {p: 1_000_000.0 - 90.0 + o for p, o in offsets.items()}  # 1 s an offset

    watch = LagWatch(lambda: parts, stamps, monotonic=lambda: clocks.mono,
                     wall=lambda: clocks.wall)
    assert watch.report().of(0) == PartitionLag(0, 60, None, None, None)  # no round yet
    watch.update()
    assert asked == [{0: 40}]  # partition 1 is caught up: nothing to look up
    report = watch.report()
    assert report.of(0) == PartitionLag(0, 60, 50.0, None, None)
    assert report.of(1) == PartitionLag(1, 0, 0.0, None, None)
    clocks.advance(10.0)
    assert watch.report().total.seconds == 60.0  # the age follows the clock between rounds
    watch.update()  # the reader has not moved: no new lookup
    assert asked == [{0: 40}]
    assert watch.report().of(0) == PartitionLag(0, 60, 60.0, 0.0, 0.0)
    assert watch.report().total.trend == Trend("stalled")
    parts = [PartitionInfo(0, 0, 120, 80), PartitionInfo(1, 0, 60, 60)]
    clocks.advance(10.0)
    watch.update()
    assert asked[-1] == {0: 80}
    report = watch.report()
    assert report.of(0) == PartitionLag(0, 40, 30.0, 2.0, 1.0)
    assert report.total.trend == Trend("catching up", eta=40.0)


def test_watch_keeps_the_last_age_when_a_lookup_is_not_answered() -> None:
    clocks = Clocks()
    parts = [PartitionInfo(0, 0, 100, 40)]
    answers: list[dict[int, float]] = [{0: clocks.wall - 30.0}, {}]
    watch = LagWatch(lambda: parts, lambda _offsets: answers.pop(0),
                     monotonic=lambda: clocks.mono, wall=lambda: clocks.wall)
    watch.update()
    parts = [PartitionInfo(0, 0, 100, 70)]
    watch.update()  # no answer for offset 70: the age of offset 40 stands, an upper bound
    assert watch.report().of(0) == PartitionLag(0, 30, 30.0, None, None)


def test_a_report_follows_the_reader_between_rounds_and_drops_ages_after_a_replay() -> None:
    clocks = Clocks()
    parts = [PartitionInfo(0, 0, 100, 40)]
    watch = LagWatch(lambda: parts, lambda offsets: dict.fromkeys(offsets, clocks.wall - 30),
                     monotonic=lambda: clocks.mono, wall=lambda: clocks.wall)
    watch.update()
    parts = [PartitionInfo(0, 0, 100, 100)]  # read to the end since the round
    assert watch.report().of(0) == PartitionLag(0, 0, 0.0, None, None)
    parts = [PartitionInfo(0, 0, 100, 10)]  # replayed: offset 40's age says nothing of 10
    assert watch.report().of(0) == PartitionLag(0, 90, None, None, None)


def test_messages_in_flight_are_not_looked_up() -> None:
    """A live stream read as it comes: a few messages always in flight, no lookups."""
    clocks = Clocks()
    reader = {"position": 0, "high": 40}
    asked: list[Mapping[int, int]] = []
    watch = LagWatch(lambda: [PartitionInfo(0, 0, reader["high"], reader["position"])],
                     lambda o: asked.append(o) or {}, monotonic=lambda: clocks.mono,
                     wall=lambda: clocks.wall)
    for _ in range(5):  # 100 msg/s produced and read, 40 behind: under a second's worth
        clocks.advance(1.0)
        reader["position"] += 100
        reader["high"] += 100
        watch.update()
    assert asked == [{0: 100}, {0: 200}]  # until the rates are known (2 s of samples)
    assert watch.report().of(0) == PartitionLag(0, 40, 0.0, 100.0, 100.0)


def test_nothing_read_yet_counts_from_the_low_watermark() -> None:
    parts = [PartitionInfo(0, 500, 800, 0)]
    asked: list[Mapping[int, int]] = []
    watch = LagWatch(lambda: parts, lambda o: asked.append(o) or {})
    watch.update()
    assert asked == [{0: 500}]
    assert watch.report().of(0) == PartitionLag(0, 300, None, None, None)
