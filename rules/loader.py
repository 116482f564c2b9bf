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
        super().__init__("invalid rule book\n" + "\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        """Each problem as `file: key: problem`."""
        return [f"{self.path}: {key}: {message}" for key, message in self.problems]


class RuleBooksRefused(ValueError):
    """Rule books that cannot be used together: every file's problems and every conflict."""

    def __init__(self, errors: list[RuleBookError]):
        self.errors = errors
        super().__init__("the rule books cannot be used\n" + "\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        return [line for error in self.errors for line in error.lines]


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
        book = RuleBook.model_validate(raw)
    except ValidationError as exc:
        problems = [(_key_of(err["loc"]), _message_of(err)) for err in exc.errors()]
        raise RuleBookError(path, problems) from None
    book._source = str(path)
    return book


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
    return sorted(load_books(book_files(SHIPPED_DIR)), key=lambda book: book.effective_from)


def book_files(*paths: Path | str) -> list[Path]:
    """The rule-book files named: each file itself, and each directory's `*.toml` files."""
    found: list[Path] = []
    for path in map(Path, paths):
        found += sorted(path.glob("*.toml")) if path.is_dir() else [path]
    return found


def load_books(files: list[Path]) -> list[RuleBook]:
    """The books in `files`, each file once; RuleBooksRefused listing every bad file's problems."""
    books, errors, seen = [], [], set()
    for path in files:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            books.append(load_rule_book(path))
        except RuleBookError as exc:
            errors.append(exc)
    if errors:
        raise RuleBooksRefused(errors)
    return books
