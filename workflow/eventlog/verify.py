"""Recomputing the hash chain to find the first event that was edited, inserted, deleted or moved.

Each event stores the canonical bytes its hash is the SHA-256 of (`Event.canonical`). The
walk hashes those bytes, and the database compares them, row by row in the same read, with
the canonical form of the event's columns built in SQL (`agreement_sql`): an edit of the
columns, of the bytes or of the hash is found at the event edited. Where the SQL form and
the bytes differ, `log.canonical_event` (the definition) decides: the SQL form is only a
fast way to pass the rows that agree, which is nearly all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from hashlib import sha256

from sqlalchemy import select
from sqlmodel import Session

from workflow.eventlog.log import canonical_event
from workflow.eventlog.models import GENESIS_HASH, Event

BATCH = 50_000  # events read per query

# The hashed columns, in the order `canonical_event` takes them.
_HASHED = ("seq", "type", "entity_type", "entity_id", "payload", "account", "on_behalf_of", "occurred_at", "recorded_at", "prev_hash")


def _canonical_form(quote: Callable[[str], str], moment: Callable[[str], str]) -> str:
    """SQL for `log._EVENT_TEMPLATE` over the event's columns, given how the engine quotes a JSON string and writes a moment."""
    return (
        f"""'{{"account":' || {quote("account")} || ',"entity_id":' || {quote("entity_id")} || ',"entity_type":' || {quote("entity_type")}"""
        f""" || ',"occurred_at":"' || {moment("occurred_at")} || '","on_behalf_of":' || coalesce({quote("on_behalf_of")}, 'null')"""
        f""" || ',"payload":' || {quote("payload")} || ',"prev_hash":' || {quote("prev_hash")}"""
        f""" || ',"recorded_at":"' || {moment("recorded_at")} || '","seq":' || seq || ',"type":' || {quote("type")} || '}}'"""
    )


# Both engines' JSON quoting escapes exactly what Python's json does with ensure_ascii=False:
# `"` and `\`, and control characters as \b \f \n \r \t or lowercase \u00xx (tests/workflow/test_verify.py).
_AGREES = {
    # SQLite stores a moment as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
    "sqlite": "canonical = CAST({} AS BLOB)".format(
        _canonical_form(lambda c: f"json_quote({c})", lambda c: f"substr({c}, 1, 10) || 'T' || substr({c}, 12) || 'Z'")
    ),
    "postgresql": "coalesce(canonical = convert_to({}, 'UTF8'), false)".format(
        _canonical_form(lambda c: f"to_json({c}::text)::text", lambda c: f"""to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""")
    ),
}


def agreement_sql(dialect: str) -> str:
    """A SQL condition over the event table: whether an event's canonical bytes are its columns' canonical form.

    False also where the SQL form is not the definition's (a year before 1000, a column of
    the wrong type): `verify_chain` then asks `canonical_event`.
    """
    return _AGREES[dialect]


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
    """Walk the log in seq order, checking each event's hash, link, canonical bytes and recorded time; the first break, if any."""
    connection = session.connection()
    dialect = connection.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    query = (
        f"SELECT seq, prev_hash, hash, canonical, recorded_at, {agreement_sql(dialect)}"
        f" FROM event WHERE seq > {mark} ORDER BY seq LIMIT {BATCH}"
    )
    # The driver's rows: no conversions this loop does not need. psycopg reads bytea in binary
    # format at a third of the cost of its text (hex) format.
    cursor = connection.connection.cursor(binary=True) if dialect == "postgresql" else connection.connection.cursor()
    expected_seq, previous, count, recorded_before = 1, GENESIS_HASH, 0, None
    try:
        while True:
            cursor.execute(query, (expected_seq - 1,))
            rows = cursor.fetchall()
            if not rows:
                break
            # Plain rows and one loop: this is the whole cost of an audit's chain check.
            for seq, prev_hash, stored, canonical, recorded_at, agrees in rows:
                count += 1
                if seq != expected_seq:
                    return ChainReport(count, seq, previous, ChainBreak(expected_seq, f"event {expected_seq} is missing (next is {seq})"))
                if prev_hash != previous:
                    return ChainReport(count, seq, previous, ChainBreak(seq, "prev_hash does not match the hash of the event before it"))
                if sha256(canonical).hexdigest() != stored:
                    return ChainReport(count, seq, previous, ChainBreak(seq, "the event's canonical bytes do not match its hash"))
                if not agrees and not _agrees(session, seq, canonical):
                    return ChainReport(count, seq, previous, ChainBreak(seq, "the event's contents do not match its hash (its columns differ from its canonical bytes)"))
                if recorded_before is not None and recorded_at < recorded_before:
                    # Appends never record an event earlier than the one before (log.recording_moment):
                    # a read as known at a moment takes the log's prefix by recorded time.
                    return ChainReport(count, seq, previous, ChainBreak(seq, "the event is recorded earlier than the event before it"))
                previous, expected_seq, recorded_before = stored, expected_seq + 1, recorded_at
    finally:
        cursor.close()
    return ChainReport(count, expected_seq - 1, previous, None)


def _agrees(session: Session, seq: int, canonical: bytes) -> bool:
    """Whether event `seq`'s columns, read as the ORM reads them, have `canonical` as their canonical form."""
    table = Event.__table__
    columns = session.execute(select(*(table.c[name] for name in _HASHED)).where(table.c.seq == seq)).one()
    try:
        return canonical_event(*columns).encode("utf-8") == bytes(canonical)
    except (TypeError, ValueError):  # a column no append could have written
        return False
