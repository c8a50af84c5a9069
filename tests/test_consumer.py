"""The consume loop through the embedded broker: batching, barriers, start offsets.

What the speed-ups must not break: a batch is what arrives within a time or size
bound, and every message is still handed over exactly once and in order per
partition; clear and replay are barriers even with a backlog queued for decoding;
``--from -N`` starts N messages before the end of each partition.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from confluent_kafka import Producer

from rtd_tui.broker import EmbeddedBroker
from rtd_tui.config import Settings
from rtd_tui.consumer import ConsumeLoop
from rtd_tui.decode import DecodedBatch
from rtd_tui.generator import RecordGenerator
from rtd_tui.store import RecordStore

TOPIC = "consume-test"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class RecordingStore(RecordStore):
    """A store that keeps, in ingest order, every (partition, offset) it was handed, and
    how many messages it had consumed when it was cleared; ``delay`` slows each batch."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(window=1_000_000)
        self.delay = delay
        self.handed: list[tuple[int, int]] = []
        self.consumed_at_clear: int | None = None

    def ingest(self, batch: DecodedBatch) -> int:
        time.sleep(self.delay)
        self.handed += zip(batch.rows["partition"].to_list(), batch.rows["offset"].to_list(),
                           strict=True)
        return super().ingest(batch)

    def clear(self) -> None:
        self.consumed_at_clear = self.consumed  # under the stage's lock: no batch lands now
        super().clear()


def fill(bootstrap: str, count: int, pace: float = 0.0) -> None:
    """Send ``count`` generated records; with ``pace`` > 0, one every ``pace`` seconds."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    generator = RecordGenerator(seed=3)
    for _ in range(count):
        record = generator.encoded()
        producer.produce(TOPIC, record.value, record.key)
        producer.poll(0)
        if pace:
            time.sleep(pace)
    assert producer.flush(30) == 0


@contextmanager
def consuming(bootstrap: str, store: RecordStore, **options: object) -> Iterator[ConsumeLoop]:
    config = Settings().client_config(bootstrap)
    loop = ConsumeLoop(config, TOPIC, store, **options)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    try:
        yield loop
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def per_partition(pairs: list[tuple[int, int]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for p, o in pairs:
        out.setdefault(p, []).append(o)
    return out


def test_batches_hand_over_every_message_once_and_in_order_per_partition() -> None:
    """A trickle (small, time-bound batches) then a burst (size-bound ones): each
    partition's offsets arrive once each, in order, none missing."""
    with EmbeddedBroker(TOPIC) as broker:
        store = RecordingStore()
        with consuming(broker.bootstrap_servers, store, batch_size=700) as loop:
            fill(broker.bootstrap_servers, 60, pace=0.01)
            fill(broker.bootstrap_servers, 6000)
            wait_for(lambda: store.consumed == 6060, "6,060 messages")
            assert loop.dropped == 0
    handed = per_partition(store.handed)
    assert sum(len(offsets) for offsets in handed.values()) == 6060
    for offsets in handed.values():
        assert offsets == list(range(len(offsets)))  # once each, in order, no gap


def test_clear_is_a_barrier_for_a_queued_backlog() -> None:
    """With batches fetched and queued behind a slow store, ``c``: none of them is
    stored after it; they are dropped and counted, and nothing else is lost."""
    total = 20_000
    with EmbeddedBroker(TOPIC) as broker:
        fill(broker.bootstrap_servers, total)
        store = RecordingStore(delay=0.05)
        fetched: dict[int, int] = {}

        def seen(messages: list) -> None:  # type: ignore[type-arg]
            for m in messages:
                fetched[m.partition()] = max(fetched.get(m.partition(), -1), m.offset())

        with consuming(broker.bootstrap_servers, store, batch_size=400, on_tail=seen) as loop:
            wait_for(lambda: store.consumed > 0, "the first batch")
            fetched_before = dict(fetched)
            dropped = loop.clear()
            wait_for(lambda: (store.consumed_at_clear or 0) + loop.dropped + store.consumed
                     == total, "the rest of the backlog")
    assert dropped > 0  # the queued backlog was dropped, and the toast can say how much
    assert store.consumed_at_clear is not None
    after = per_partition(
        list(zip(store.frame()["partition"].to_list(), store.frame()["offset"].to_list(),
                 strict=True)))
    for partition, offsets in after.items():
        assert min(offsets) > fetched_before.get(partition, -1)
    assert store.snapshot().count == store.consumed  # what is shown came after the clear


def test_replay_with_a_queued_backlog_reads_everything_once() -> None:
    total = 8_000
    with EmbeddedBroker(TOPIC) as broker:
        fill(broker.bootstrap_servers, total)
        store = RecordingStore(delay=0.02)
        with consuming(broker.bootstrap_servers, store, batch_size=400) as loop:
            wait_for(lambda: store.consumed > 0, "the first batch")
            loop.request_replay()
            wait_for(lambda: store.consumed == total, "the whole topic again", timeout=60)
            time.sleep(0.3)
            assert store.consumed == total
    frame = store.frame()
    assert frame.height == total
    assert frame.select("partition", "offset").unique().height == total


def test_from_minus_n_starts_n_messages_before_the_end_of_each_partition() -> None:
    with EmbeddedBroker(TOPIC) as broker:
        fill(broker.bootstrap_servers, 2000)
        store = RecordingStore()
        with consuming(broker.bootstrap_servers, store, start_from=-25) as loop:
            wait_for(lambda: store.consumed == 25 * broker.partitions, "25 per partition")
            time.sleep(0.5)
            wait_for(lambda: len(loop.partitions) == broker.partitions
                     and all(p.high >= 0 for p in loop.partitions), "watermarks")
        highs = {p.partition: p.high for p in loop.partitions}
    handed = per_partition(store.handed)
    assert store.consumed == 25 * broker.partitions
    for partition, offsets in handed.items():
        assert offsets == list(range(highs[partition] - 25, highs[partition]))
