"""Recomputing the hash chain to find the first event that was edited, inserted, deleted or moved."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from workflow.eventlog.log import columns_hash
from workflow.eventlog.models import GENESIS_HASH, Event
from workflow.eventlog.replay import log_rows

# verify_chain unpacks rows in this order: the hashed columns as `columns_hash` takes them, then the hash.
_COLUMNS = ("seq", "type", "entity_type", "entity_id", "payload", "account", "on_behalf_of", "occurred_at", "recorded_at", "prev_hash", "hash")
assert tuple(column.name for column in Event.__table__.columns) == _COLUMNS


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
    """Walk the log in seq order, recomputing each hash and checking that recorded time never runs back; the first break, if any."""
    expected_seq, previous, count, recorded_before = 1, GENESIS_HASH, 0, None
    for rows in log_rows(session):
        # Plain rows and one loop: this is the whole cost of an audit's chain check.
        for seq, type, entity_type, entity_id, payload, account, on_behalf_of, occurred_at, recorded_at, prev_hash, stored in rows:
            count += 1
            if seq != expected_seq:
                return ChainReport(count, seq, previous, ChainBreak(expected_seq, f"event {expected_seq} is missing (next is {seq})"))
            if prev_hash != previous:
                return ChainReport(count, seq, previous, ChainBreak(seq, "prev_hash does not match the hash of the event before it"))
            if columns_hash(seq, type, entity_type, entity_id, payload, account, on_behalf_of, occurred_at, recorded_at, prev_hash) != stored:
                return ChainReport(count, seq, previous, ChainBreak(seq, "the event's contents do not match its hash"))
            if recorded_before is not None and recorded_at < recorded_before:
                # Appends never record an event earlier than the one before (log.recording_moment):
                # a read as known at a moment takes the log's prefix by recorded time.
                return ChainReport(count, seq, previous, ChainBreak(seq, "the event is recorded earlier than the event before it"))
            previous, expected_seq, recorded_before = stored, expected_seq + 1, recorded_at
    return ChainReport(count, expected_seq - 1, previous, None)
