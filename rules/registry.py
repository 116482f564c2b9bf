"""The one place that decides which rule book is in force on a date."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

from rules.loader import load_rule_book, load_shipped_books
from rules.schema import RoleDefinition, RuleBook

RULES_DIR_ENV = "EXIT_TRACKER_RULES_DIR"


class NoRuleBookInForce(LookupError):
    """No loaded rule book was in force on the date asked about."""


class RuleBooks:
    """A set of rule books, each in force from its `effective_from` until the next one's."""

    def __init__(self, books: list[RuleBook]):
        if not books:
            raise ValueError("at least one rule book is needed")
        self._books = sorted(books, key=lambda book: book.effective_from)
        dates = [book.effective_from for book in self._books]
        if len(set(dates)) != len(dates):
            raise ValueError("two rule books take effect on the same date")

    @property
    def books(self) -> list[RuleBook]:
        return list(self._books)

    def in_force(self, on: dt.date) -> RuleBook:
        """The rule book in force on `on`, a date in the books' own time zone."""
        current = None
        for book in self._books:
            if book.effective_from <= on:
                current = book
        if current is None:
            raise NoRuleBookInForce(f"no rule book is in force on {on.isoformat()}; the first takes effect {self._books[0].effective_from.isoformat()}")
        return current

    def valid_until(self, book: RuleBook) -> dt.date | None:
        """The last day `book` is in force: the day before its successor takes effect."""
        later = [b.effective_from for b in self._books if b.effective_from > book.effective_from]
        return min(later) - dt.timedelta(days=1) if later else None

    def latest(self) -> RuleBook:
        return self._books[-1]

    def role(self, code: str) -> RoleDefinition | None:
        """The role `code` as the newest book defining it describes it, or None."""
        for book in reversed(self._books):
            if code in book.roles:
                return book.roles[code]
        return None

    def role_codes(self) -> set[str]:
        return {code for book in self._books for code in book.roles}


@functools.cache
def default_books() -> RuleBooks:
    """The shipped rule books, plus any in $EXIT_TRACKER_RULES_DIR."""
    books = load_shipped_books()
    extra = os.environ.get(RULES_DIR_ENV)
    if extra:
        books += [load_rule_book(p) for p in sorted(Path(extra).glob("*.toml"))]
    return RuleBooks(books)
