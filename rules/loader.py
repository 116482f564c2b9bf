"""Reads rule-book files and refuses malformed ones with the file, the key and the problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from rules.schema import RuleBook

SHIPPED_DIR = Path(__file__).resolve().parent


class RuleBookError(ValueError):
    """A rule-book file that cannot be used; `problems` lists (key, message) pairs."""

    def __init__(self, path: Path | str, problems: list[tuple[str, str]]):
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}: {key}: {message}" for key, message in problems]
        super().__init__("invalid rule book\n" + "\n".join(lines))


def _key_of(location: tuple) -> str:
    key = ""
    for part in location:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key or "(top level)"


def load_rule_book(path: Path | str) -> RuleBook:
    """The validated rule book in `path`; RuleBookError naming file, key and problem otherwise."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleBookError(path, [("(file)", "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise RuleBookError(path, [("(file)", f"not UTF-8 text: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleBookError(path, [("(syntax)", f"not valid TOML: {exc}")]) from None
    try:
        return RuleBook.model_validate(raw)
    except ValidationError as exc:
        problems = [(_key_of(err["loc"]), _message_of(err)) for err in exc.errors()]
        raise RuleBookError(path, problems) from None


def _message_of(err: dict) -> str:
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown key (check its spelling)"
    if err["type"] == "missing":
        return "required key is missing"
    if "input" in err and not isinstance(err["input"], dict | list):
        message += f" (got {err['input']!r})"
    return message


def load_shipped_books() -> list[RuleBook]:
    """Every rule book shipped in this package, oldest first."""
    books = [load_rule_book(path) for path in sorted(SHIPPED_DIR.glob("*.toml"))]
    return sorted(books, key=lambda book: book.effective_from)
