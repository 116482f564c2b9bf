"""Signed checkpoints the server made, kept beside the log (not in it: they are statements about it)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Text
from sqlmodel import Field, SQLModel


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of (seq, head hash, time), as workflow.audit.checkpoint makes and exports it.

    Kept here only until exported: a checkpoint proves something only when a copy sits
    where whoever can rewrite this database cannot reach it (docs/AUDIT.md).
    """

    __tablename__ = "audit_checkpoint"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    head_hash: str = Field(sa_column=Column(String(64), nullable=False))
    made_at: str = Field(sa_column=Column(String(32), nullable=False))  # as signed: 2018-07-01T00:00:00.000000Z
    public_key: str = Field(sa_column=Column(String(64), nullable=False))
    signature: str = Field(sa_column=Column(Text, nullable=False))
