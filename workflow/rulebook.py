"""The rule books the domain evaluates with: the shipped ones unless a caller installs others."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from rules import RuleBook, RuleBooks, default_books
from rules.registry import NoRuleBookInForce
from workflow import errors

_installed: RuleBooks | None = None


def books() -> RuleBooks:
    """The rule books in use."""
    return _installed or default_books()


@contextlib.contextmanager
def using(rule_books: RuleBooks) -> Iterator[RuleBooks]:
    """Evaluate with `rule_books` inside the block (tests, replays of other provinces)."""
    global _installed
    previous, _installed = _installed, rule_books
    try:
        yield rule_books
    finally:
        _installed = previous


_REFUSE = object()


def in_force(on: dt.date, *, otherwise=_REFUSE) -> RuleBook | None:
    """The rule book in force on `on`: the one place that decides it.

    Before the first book takes effect there is none: a DomainError a user can act on, or
    `otherwise` when given (None; or `first()`, for what must be read under some book).
    """
    try:
        return books().in_force(on)
    except NoRuleBookInForce as exc:
        if otherwise is not _REFUSE:
            return otherwise
        raise errors.NoRuleBook(reason=str(exc), on=on.isoformat()) from None


def first() -> RuleBook:
    """The earliest rule book in use."""
    return books().books[0]


def local_date_of(moment: dt.datetime) -> dt.date:
    """The calendar date of `moment` in the rule books' time zone."""
    from workflow.clock import local_date

    return local_date(moment, books().latest().zone)


def today() -> dt.date:
    """Today's date in the rule books' time zone."""
    from workflow.clock import now

    return local_date_of(now())
