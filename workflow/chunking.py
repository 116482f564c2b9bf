"""Cutting a stream of items into lists of a bounded size: ids per IN list, rows per INSERT, lines per batch."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

IN_LIST = 900  # ids per IN list: well under every engine's limit on bound parameters


def chunks(items: Iterable[T], size: int = IN_LIST) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, read from `items` as they are needed."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
