"""Recomputing the hash chain to find the first event that was edited, inserted, deleted or moved."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from workflow.eventlog.log import chain_hash
from workflow.eventlog.models import GENESIS_HASH
from workflow.eventlog.replay import log_batches


@dataclasses.dataclass(frozen=True)
class ChainBreak:
    """Where the chain first fails, and why."""

    seq: int
    problem: str


@dataclasses.dataclass(frozen=True)
class ChainReport:
    events: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the log in seq order, recomputing each hash; report the first break, if any."""
    expected_seq, previous, count = 1, GENESIS_HASH, 0
    for events in log_batches(session):
        for event in events:
            count += 1
            if event.seq != expected_seq:
                return ChainReport(count, event.seq, previous, ChainBreak(expected_seq, f"event {expected_seq} is missing (next is {event.seq})"))
            if event.prev_hash != previous:
                return ChainReport(count, event.seq, previous, ChainBreak(event.seq, "prev_hash does not match the hash of the event before it"))
            recomputed = chain_hash(event)
            if recomputed != event.hash:
                return ChainReport(count, event.seq, previous, ChainBreak(event.seq, "the event's contents do not match its hash"))
            previous, expected_seq = event.hash, expected_seq + 1
    return ChainReport(count, expected_seq - 1, previous, None)
