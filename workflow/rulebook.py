"""The rule books the domain evaluates with: the shipped ones unless a caller installs others."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from rules import RuleBook, RuleBooks, default_books
from rules.registry import NoRuleBookInForce
from workflow.errors import DomainError

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


def in_force(on: dt.date) -> RuleBook:
    """The rule book in force on `on`, as a DomainError a user can act on when there is none."""
    try:
        return books().in_force(on)
    except NoRuleBookInForce as exc:
        raise DomainError("no_rule_book", str(exc), f"{on.isoformat()} 没有生效的规则", field="date") from None


def in_force_or_first(on: dt.date) -> RuleBook:
    """The book in force on `on`, or the first book for dates before any takes effect."""
    try:
        return books().in_force(on)
    except NoRuleBookInForce:
        return books().books[0]


def local_date_of(moment: dt.datetime) -> dt.date:
    """The calendar date of `moment` in the rule books' time zone."""
    from workflow.clock import local_date

    return local_date(moment, books().latest().zone)


def today() -> dt.date:
    """Today's date in the rule books' time zone."""
    from workflow.clock import now

    return local_date_of(now())
