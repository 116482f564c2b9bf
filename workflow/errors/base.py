"""What every refusal is: a stable code, its HTTP status, the field, both languages, details.

The codes themselves, and their words, are declared in catalogue.py.
"""

from __future__ import annotations

import functools
import string
from typing import Any, ClassVar

_UNSET: Any = object()


class _Wording(string.Formatter):
    """str.format, plus two format specs the catalogue's templates use.

    `{x:list}` joins the items of x with ", " (`{x:list、}` with "、"); a spec ending in
    `|word` writes word when x is empty or None: `{roles:list|none}`, `{kind:|无}`.
    """

    def format_field(self, value: Any, format_spec: str) -> str:
        spec, bar, empty = format_spec.partition("|")
        if bar and (value is None or value == "" or (isinstance(value, (list, tuple, set, frozenset)) and not value)):
            return empty
        if spec.startswith("list"):
            return (spec[4:] or ", ").join(str(item) for item in value)
        return format(value, spec)


_WORDING = _Wording()


class Text:
    """One wording of an error: English and Chinese str.format templates over named fields.

    Declared on a catalogue class, a Text is also how to raise the error with that wording:
    `InvalidParent.missing(level=..., expected=...)` is an `InvalidParent`. A class with a
    single wording calls it `text`, and the class itself raises it: `EmptyFile()`.
    """

    def __init__(self, en: str, zh: str, *, field: str | None = None):
        self.en = en
        self.zh = zh
        self.field = field  # when this wording concerns another field than the class's
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is not None or owner is None:
            return self
        return functools.partial(owner, _text=self)

    def fields(self) -> set[str]:
        """The names the templates use."""
        return {name for template in (self.en, self.zh) for _, name, _, _ in string.Formatter().parse(template) if name}

    def render(self, values: dict[str, Any]) -> tuple[str, str]:
        return _WORDING.format(self.en, **values), _WORDING.format(self.zh, **values)


class DomainError(Exception):
    """A refusal with a stable `code`, an English and a Chinese message, and the offending field.

    Raise a catalogue entry (workflow.errors.catalogue): `errors.InvalidParent.missing(...)`.
    A subclass there declares `code`, `status` (through its base), `field`, its `Text`s and
    which of the keyword fields it reports as `details` (`detail_fields`).

    Legacy: `DomainError(code, en, zh, field=..., **details)` with the messages written out
    still works, for code not yet moved to the catalogue; new codes belong there.
    """

    status = 422
    code: str
    field: str | None = None
    detail_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *legacy: str, field: str | None = _UNSET, _text: Text | None = None, **fields: Any):
        if legacy:
            code, en, zh = legacy
            details = fields
        else:
            text = _text or next((vars(klass)["text"] for klass in type(self).__mro__ if "text" in vars(klass)), None)
            if not isinstance(text, Text):
                raise TypeError(f"{type(self).__name__} has several wordings: raise one of them, e.g. {type(self).__name__}.<wording>(...)")
            code = type(self).code
            if field is _UNSET:
                field = text.field or type(self).field
            en, zh = text.render({"field": field, **fields})
            details = {name: fields[name] for name in type(self).detail_fields if name in fields}
        super().__init__(en)
        self.code = code
        self.en = en
        self.zh = zh
        self.field = None if field is _UNSET else field
        self.details = details

    def message(self, language: str = "zh") -> str:
        return self.en if language.startswith("en") else self.zh

    @classmethod
    def texts(cls) -> list[Text]:
        """Every wording the class declares, in the order declared."""
        return [value for klass in reversed(cls.__mro__) for value in vars(klass).values() if isinstance(value, Text)]


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class NotAuthenticated(DomainError):
    status = 401


class AccessDenied(DomainError):
    status = 403


class TooLarge(DomainError):
    status = 413


class TooManyRequests(DomainError):
    status = 429


def not_found(kind: str, ident: str, *, field: str | None = None, zh_kind: str | None = None) -> NotFound:
    """The error for an unknown `kind` with id `ident`.

    Legacy: the catalogue has a class per kind (`errors.HouseholdNotFound(id=...)`).
    """
    return NotFound(
        f"{kind}_not_found",
        f"no {kind.replace('_', ' ')} with id '{ident}'",
        f"未找到{zh_kind or kind}:{ident}",
        field=field,
        id=ident,
    )


def table(entries: tuple[type[DomainError], ...]) -> str:
    """The catalogue as a Markdown table: one row per wording (docs/ERRORS.md, `exit-tracker errors`)."""
    rows = ["| code | status | field | class.wording | English | 中文 |", "|---|---|---|---|---|---|"]
    for entry in sorted(entries, key=lambda e: e.code):
        for text in entry.texts():
            wording = entry.__name__ if text.name == "text" else f"{entry.__name__}.{text.name}"
            cells = (entry.code, str(entry.status), text.field or entry.field or "", wording, text.en, text.zh)
            rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"
