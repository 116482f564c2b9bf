"""The cyclic garbage collector paused while a read builds hundreds of thousands of objects.

A city's report over every rule holds half a million instances as tuples while it counts
them: each allocation of a container counts towards the collector's next pass, and each
full pass walks every tuple still held, so the collector's passes took about as long as the
report itself (2.0 s with them, 1.05 s without, full Huaihua scale). Nothing such a read
makes refers to itself: reference counting frees it all as before, and cycles made
meanwhile anywhere in the process are collected once the last paused read ends.

Reads that overlap keep it paused between them; a busy server whose reads always overlap
would never collect, so once it has been paused for `LONGEST` seconds without a break, the
next read to start or end collects once (and the clock starts again).
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

LONGEST = 10.0  # seconds the collector may stay paused without a collection

_lock = threading.Lock()
_paused = 0  # reads under way that paused the collector
_was_enabled = False  # whether it ran before the first of them
_since = 0.0  # when it was last paused or collected (time.monotonic)


def _collect_if_overdue() -> None:
    global _since
    if time.monotonic() - _since > LONGEST:
        gc.collect()
        _since = time.monotonic()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection within the block (nor in other threads while it runs, but at most
    `LONGEST` seconds on end); as before after."""
    global _paused, _was_enabled, _since
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
            _since = time.monotonic()
        elif _was_enabled:
            _collect_if_overdue()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
            elif _was_enabled:
                _collect_if_overdue()
