"""Business errors as values users can act on: a stable code, the field, both languages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a stable `code`, an English and a Chinese message, and the offending field."""

    status = 422

    def __init__(self, code: str, en: str, zh: str, *, field: str | None = None, **details: Any):
        super().__init__(en)
        self.code = code
        self.en = en
        self.zh = zh
        self.field = field
        self.details = details

    def message(self, language: str = "zh") -> str:
        return self.en if language.startswith("en") else self.zh


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


def not_found(kind: str, ident: str, *, field: str | None = None, zh_kind: str | None = None) -> NotFound:
    """The error for an unknown `kind` with id `ident`."""
    return NotFound(
        f"{kind}_not_found",
        f"no {kind.replace('_', ' ')} with id '{ident}'",
        f"未找到{zh_kind or kind}:{ident}",
        field=field,
        id=ident,
    )
