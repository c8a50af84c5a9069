"""The consumer groups that read the topic: state, members, committed offsets and lag.

``GroupsWatch`` asks the broker with an ``AdminClient`` (list, describe, committed
offsets, latest offsets) and reads the timestamp of the message at each lagging
committed offset (``lag_watch.MessageStamps``), all on the thread that runs it; the
report it keeps is replaced whole, so the UI reads it without a lock. A broker
without the group API (the embedded mock) gets one line, never an empty list that
would look like "no groups".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec  # type: ignore[attr-defined]

log = logging.getLogger(__name__)

GROUPS_EVERY_S = 2.0
ADMIN_TIMEOUT_S = 2.0
NO_GROUP_API = "This broker has no consumer group API (the embedded mock has none)."


@dataclass(frozen=True, slots=True)
class GroupPartition:
    """One partition as a group reads it (None: not known, or nothing committed)."""

    partition: int
    committed: int | None
    high: int | None
    seconds: float | None  # age of the oldest message the group has not read

    @property
    def lag(self) -> int | None:
        if self.committed is None or self.high is None:
            return None
        return max(0, self.high - self.committed)


@dataclass(frozen=True, slots=True)
class GroupLag:
    """One consumer group on the topic."""

    group_id: str
    state: str
    members: int
    partitions: tuple[GroupPartition, ...]

    @property
    def lag(self) -> int | None:
        """Messages the group has not read, over the partitions it has committed on."""
        known = [p.lag for p in self.partitions if p.lag is not None]
        return sum(known) if known else None

    @property
    def seconds(self) -> float | None:
        """The oldest unread message's age over all its partitions."""
        known = [p.seconds for p in self.partitions if p.seconds is not None]
        return max(known) if known else None


@dataclass(frozen=True, slots=True)
class GroupsReport:
    """What the groups view shows; ``loaded`` is False until the first answer."""

    groups: tuple[GroupLag, ...] = ()
    notice: str = ""  # one line in place of the groups (no group API)
    error: str = ""  # the last round failed: the groups shown are from before
    loaded: bool = False


def _state(description: Any) -> str:
    """The group's state in lower case (``stable``, ``empty``...) from its description."""
    state = getattr(description, "state", None)
    return "unknown" if state is None else state.name.lower()


class GroupsWatch:
    """Refreshes a ``GroupsReport`` for ``topic`` with ``admin``; not for the UI thread."""

    def __init__(
        self,
        admin: AdminClient,
        topic: str,
        stamps: Callable[[Mapping[int, int]], Mapping[int, float]],
        *,
        wall: Callable[[], float] = time.time,
        timeout: float = ADMIN_TIMEOUT_S,
    ) -> None:
        self.admin = admin
        self.topic = topic
        self._stamps = stamps
        self._wall = wall
        self._timeout = timeout
        self._known: dict[tuple[int, int], float] = {}  # (partition, offset) → timestamp
        self.report = GroupsReport()

    def update(self) -> None:
        """One round; a failure keeps the last groups and says why."""
        try:
            self.report = self._round()
        except KafkaException as exc:
            error = exc.args[0].str() if exc.args and isinstance(exc.args[0], KafkaError) \
                else str(exc)
            log.warning("consumer groups: %s", error)
            self.report = GroupsReport(self.report.groups, error=error, loaded=True)

    def run(self, stop: threading.Event, every: float = GROUPS_EVERY_S) -> None:
        """Rounds until ``stop`` is set."""
        while not stop.is_set():
            self.update()
            stop.wait(every)

    def _round(self) -> GroupsReport:
        listed = self.admin.list_consumer_groups(request_timeout=self._timeout).result()
        unsupported = [e for e in listed.errors if e.code() == KafkaError._UNSUPPORTED_FEATURE]
        if unsupported and not listed.valid:
            return GroupsReport(notice=NO_GROUP_API, loaded=True)
        ids = sorted(g.group_id for g in listed.valid)
        if not ids:
            return GroupsReport(loaded=True)
        described = self.admin.describe_consumer_groups(ids, request_timeout=self._timeout)
        offsets = {gid: self.admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(gid)], request_timeout=self._timeout)[gid]
            for gid in ids}
        highs = self._highs()
        known, self._known = self._known, {}
        groups = []
        for gid in ids:
            description = described[gid].result()
            committed = {tp.partition: tp.offset for tp in offsets[gid].result().topic_partitions
                         if tp.topic == self.topic and tp.offset >= 0}
            assigned = {tp.partition for m in description.members if m.assignment is not None
                        for tp in m.assignment.topic_partitions or () if tp.topic == self.topic}
            if committed or assigned:
                groups.append(GroupLag(gid, _state(description), len(description.members),
                                       self._partitions(committed, assigned, highs, known)))
        return GroupsReport(tuple(groups), loaded=True)

    def _highs(self) -> dict[int, int]:
        """The topic's high watermarks (latest offsets), one request per leader."""
        metadata = self.admin.list_topics(self.topic, timeout=self._timeout)
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None:
            return {}
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        wanted = {TopicPartition(self.topic, p): latest for p in topic.partitions}
        if not wanted:
            return {}
        answers = self.admin.list_offsets(wanted, request_timeout=self._timeout)
        return {tp.partition: future.result().offset for tp, future in answers.items()}

    def _partitions(
        self, committed: Mapping[int, int], assigned: set[int], highs: Mapping[int, int],
        known: dict[tuple[int, int], float],
    ) -> tuple[GroupPartition, ...]:
        """Each partition's committed offset, lag, and age of its oldest unread message."""
        lagging = {p: o for p, o in committed.items() if o < highs.get(p, o)}
        missing = {p: o for p, o in lagging.items() if (p, o) not in known}
        found = self._stamps(missing) if missing else {}
        now = self._wall()
        out = []
        for p in sorted(set(committed) | assigned):
            offset = committed.get(p)
            seconds: float | None = 0.0 if offset is not None and p not in lagging else None
            if p in lagging:
                stamp = found.get(p, known.get((p, lagging[p])))
                if stamp is not None:
                    self._known[(p, lagging[p])] = stamp
                    seconds = max(0.0, now - stamp)
            out.append(GroupPartition(p, offset, highs.get(p), seconds))
        return tuple(out)
