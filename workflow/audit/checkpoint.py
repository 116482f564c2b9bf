"""Signed checkpoints: an Ed25519 statement of (seq, head hash, time) that later proves the log only grew.

The private key stays outside the database (a file the operator keeps), so whoever can
rewrite the database cannot also forge a checkpoint. The server signs one on a schedule
and keeps it in `audit_checkpoint` until the operator exports it off the machine
(`exit-tracker audit export-checkpoints`); an exported copy is what proves anything.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlmodel import Session

from workflow import clock
from workflow.audit.models import AuditCheckpoint
from workflow.eventlog.log import canonical_json, format_moment, head
from workflow.eventlog.models import Event
from workflow.eventlog.verify import ChainReport, verify_chain

CHECKPOINT_FORMAT = "exit-tracker-checkpoint/1"


def generate_key(path: Path) -> Path:
    """Write a new private key to `path` (owner-only) and its public key beside it; the public key's path."""
    if path.exists():
        raise FileExistsError(f"{path} exists; refusing to overwrite a signing key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_path = path.with_name(path.name + ".pub")
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return public_path


def _private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def _statement(seq: int, head_hash: str, made_at: str) -> bytes:
    return canonical_json({"format": CHECKPOINT_FORMAT, "seq": seq, "head_hash": head_hash, "made_at": made_at}).encode("utf-8")


def make_checkpoint(session: Session, key_path: Path) -> dict[str, Any]:
    """A signed statement of the log's current head, to be stored outside the database."""
    seq, head_hash = head(session)
    made_at = format_moment(clock.now())
    key = _private_key(key_path)
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "format": CHECKPOINT_FORMAT,
        "seq": seq,
        "head_hash": head_hash,
        "made_at": made_at,
        "public_key": base64.b64encode(public).decode(),
        "signature": base64.b64encode(key.sign(_statement(seq, head_hash, made_at))).decode(),
    }


@dataclasses.dataclass(frozen=True)
class CheckpointCheck:
    ok: bool
    problem: str | None
    seq: int
    grown_by: int | None


def verify_checkpoint(
    session: Session,
    checkpoint: dict[str, Any],
    public_key: Ed25519PublicKey | None = None,
    *,
    chain: ChainReport | None = None,
) -> CheckpointCheck:
    """Whether `checkpoint` is genuine and the log since then has only grown (nothing before it changed).

    `chain` is a verification of the chain the caller already made; without it, one is made here.
    """
    signed = check_signed_head(session, checkpoint, public_key)
    if not signed.ok:
        return signed
    chain = chain or verify_chain(session)
    if not chain.intact:
        return CheckpointCheck(False, f"the chain breaks at event {chain.first_break.seq}: {chain.first_break.problem}", signed.seq, None)
    return CheckpointCheck(True, None, signed.seq, chain.head_seq - signed.seq)


def statement_of(checkpoint: dict[str, Any]) -> bytes:
    """The bytes `checkpoint`'s signature signs: what anyone checks it against with the public key."""
    return _statement(int(checkpoint["seq"]), str(checkpoint["head_hash"]), str(checkpoint["made_at"]))


def check_signed_head(session: Session, checkpoint: dict[str, Any], public_key: Ed25519PublicKey | None = None) -> CheckpointCheck:
    """Whether `checkpoint`'s signature verifies and the log still holds the head it signed, without
    walking the chain (the public notice page asks this on every view; `verify_checkpoint` walks it)."""
    try:
        seq, head_hash, made_at = int(checkpoint["seq"]), str(checkpoint["head_hash"]), str(checkpoint["made_at"])
        signature = base64.b64decode(checkpoint["signature"])
        key = public_key or Ed25519PublicKey.from_public_bytes(base64.b64decode(checkpoint["public_key"]))
    except (KeyError, ValueError, TypeError) as exc:
        return CheckpointCheck(False, f"malformed checkpoint: {exc}", -1, None)
    try:
        key.verify(signature, _statement(seq, head_hash, made_at))
    except InvalidSignature:
        return CheckpointCheck(False, "the checkpoint's signature does not verify: it was altered or signed by another key", seq, None)
    if seq > 0:
        stored = session.execute(select(Event.hash).where(Event.seq == seq)).scalar()
        if stored is None:
            return CheckpointCheck(False, f"event {seq}, the checkpoint's head, is no longer in the log", seq, None)
        if stored != head_hash:
            return CheckpointCheck(False, f"event {seq} no longer has the hash the checkpoint signed", seq, None)
    return CheckpointCheck(True, None, seq, None)


def read_checkpoint(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# ---- checkpoints the server keeps until they are exported --------------------------


_SIGNED = ("seq", "head_hash", "made_at", "public_key", "signature")


def keep_checkpoint(session: Session, key_path: Path) -> dict[str, Any] | None:
    """Sign a checkpoint of the log's head and keep it, unless the newest kept one covers that head already."""
    seq, _ = head(session)
    newest = newest_kept(session)
    if seq == 0 or (newest is not None and newest["seq"] >= seq):
        return None
    checkpoint = make_checkpoint(session, key_path)
    session.add(AuditCheckpoint(**{name: checkpoint[name] for name in _SIGNED}))
    session.flush()
    return checkpoint


@dataclasses.dataclass(frozen=True)
class Coverage:
    """What the newest kept checkpoint covers: its seq (None without one), the events after it, and
    why it fails to verify, if it does."""

    newest_seq: int | None
    made_at: str | None
    uncovered: int
    problem: str | None


def coverage(session: Session, chain: ChainReport, public_key: Ed25519PublicKey | None = None) -> Coverage:
    """How many of the log's events the newest kept checkpoint leaves uncovered (`chain`: the log's verification)."""
    newest = newest_kept(session)
    if newest is None:
        return Coverage(None, None, chain.events, None)
    check = verify_checkpoint(session, newest, public_key, chain=chain)
    return Coverage(newest["seq"], newest["made_at"], chain.head_seq - newest["seq"], check.problem)


def kept_checkpoints(session: Session) -> list[dict[str, Any]]:
    """Every kept checkpoint, oldest first, as `make_checkpoint` wrote it (and an exported file holds it)."""
    rows = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars()
    return [_document(row) for row in rows]


def newest_kept(session: Session) -> dict[str, Any] | None:
    row = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).scalar_one_or_none()
    return None if row is None else _document(row)


def _document(row: AuditCheckpoint) -> dict[str, Any]:
    return {"format": CHECKPOINT_FORMAT, **{name: getattr(row, name) for name in _SIGNED}}


def export_checkpoints(session: Session, folder: Path) -> list[Path]:
    """Write each kept checkpoint not yet in `folder` to its own file there; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for checkpoint in kept_checkpoints(session):
        path = folder / checkpoint_file_name(checkpoint["seq"])
        if not path.exists():
            path.write_text(json.dumps(checkpoint, indent=2) + "\n", encoding="utf-8")
            written.append(path)
    return written


def checkpoint_file_name(seq: int) -> str:
    """checkpoint-000000120000.json: file names sort as their seqs."""
    return f"checkpoint-{seq:012d}.json"


def read_checkpoints(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The checkpoint in a file, or every one in a folder of exported checkpoints (by name)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return [(file, read_checkpoint(file)) for file in files]
