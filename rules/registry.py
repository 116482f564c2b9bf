"""The one place that decides which rule book is in force on a date."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

from rules.loader import SHIPPED_DIR, RuleBookError, RuleBooksRefused, book_files, load_books
from rules.schema import RoleDefinition, RuleBook

# An operator's own rule books: every *.toml file in this directory, beside the shipped ones.
RULES_DIR_ENV = "EXIT_TRACKER_RULES_DIR"
# "no" leaves the shipped Hunan books out (a province whose rules are all its own).
SHIPPED_ENV = "EXIT_TRACKER_RULES_SHIPPED"


class NoRuleBookInForce(LookupError):
    """No loaded rule book was in force on the date asked about."""


class RuleBooks:
    """A set of rule books, each in force from its `effective_from` until the next one's."""

    def __init__(self, books: list[RuleBook]):
        if not books:
            raise RuleBooksRefused([RuleBookError("(rule books)", [("(files)", "no rule book to use: at least one is needed")])])
        self._books = sorted(books, key=lambda book: book.effective_from)
        found = conflicts(self._books)
        if found:
            raise RuleBooksRefused(found)

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

    @property
    def zone(self):
        """The time zone every book shares: periods, dates and the times shown are in it."""
        return self._books[-1].zone


def conflicts(books: list[RuleBook]) -> list[RuleBookError]:
    """Why `books` cannot be in use together, each problem named on the later book's file:
    two books with one id or one `effective_from` (which is in force that day?), or books in
    different time zones (periods would not line up). A role may move to another level in a
    newer book: posts held under the older one keep their unit."""
    found: list[RuleBookError] = []
    first_of_id: dict[str, RuleBook] = {}
    first_on: dict[object, RuleBook] = {}
    ordered = sorted(books, key=lambda b: b.effective_from)
    for book in ordered:
        problems = []
        if book.id in first_of_id:
            problems.append(("id", f"'{book.id}' is also the id of {first_of_id[book.id].source}; each book needs its own id"))
        if book.effective_from in first_on:
            other = first_on[book.effective_from]
            problems.append(("effective_from", f"{book.effective_from} is also when {other.id} ({other.source}) takes effect; "
                             "only one book can be in force on a day: give the newer book a later effective_from, or remove one"))
        if ordered[0].time_zone != book.time_zone:
            first = ordered[0]
            problems.append(("time_zone", f"'{book.time_zone}' differs from '{first.time_zone}' of {first.id} ({first.source}); every book in use must share one time zone"))
        first_of_id.setdefault(book.id, book)
        first_on.setdefault(book.effective_from, book)
        if problems:
            found.append(RuleBookError(book.source, problems))
    return found


def shipped_files() -> list[Path]:
    """The shipped rule-book files, unless $EXIT_TRACKER_RULES_SHIPPED is "no"."""
    shipped = os.environ.get(SHIPPED_ENV, "yes").strip().lower()
    if shipped not in ("yes", "no"):
        raise RuleBooksRefused([RuleBookError(f"${SHIPPED_ENV}", [("(setting)", f"is '{shipped}'; set it to 'yes' (the default) or 'no'")])])
    return book_files(SHIPPED_DIR) if shipped == "yes" else []


def configured_files() -> list[Path]:
    """The rule-book files in use: the shipped ones (`shipped_files`), then every *.toml file
    in $EXIT_TRACKER_RULES_DIR."""
    files = shipped_files()
    extra = os.environ.get(RULES_DIR_ENV)
    if extra:
        if not Path(extra).is_dir():
            raise RuleBooksRefused([RuleBookError(extra, [(f"${RULES_DIR_ENV}", "no such directory")])])
        files += book_files(extra)
    return files


def load_configured(files: list[Path] | None = None) -> RuleBooks:
    """The books in `files` (default: `configured_files()`); RuleBooksRefused naming every
    bad file, key and problem, and every conflict between books."""
    return RuleBooks(load_books(configured_files() if files is None else files))


@functools.cache
def default_books() -> RuleBooks:
    """The rule books in use (`configured_files`), loaded once."""
    return load_configured()
