"""The append-only, hash-chained event log (SPEC §4) and the projections written from it."""

from workflow.eventlog.log import Actor, NewEvent, append, append_many, append_new, canonical_json, chain_hash, head, lock, refuse_nul, seal
from workflow.eventlog.models import GENESIS_HASH, Event

__all__ = ["GENESIS_HASH", "Actor", "Event", "NewEvent", "append", "append_many", "append_new", "canonical_json", "chain_hash", "head", "lock", "refuse_nul", "seal"]
