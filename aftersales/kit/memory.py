"""Long-lived objects out of the garbage collector's way.

A worker keeps a few hundred thousand objects for its whole life (the app and its routes,
SQLAlchemy's mappers, jieba's dictionary, the QC, intent and review models). Every full
collection traverses them all, about 170 ms here, and under load one lands inside some request
every few seconds: those pauses were the p99 of the ticket API. ``gc.freeze`` moves everything
alive now into a generation the collector never visits (CPython's advice for long-running
servers); reference counting still frees those objects when they are dropped.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_long_lived() -> None:
    """Collect once, then keep what survived out of later collections: call after startup and
    after loading a model or dictionary a process keeps."""
    gc.collect()
    gc.freeze()


class _CollectorPause:
    """Nested and concurrent pauses: the collector resumes when the last one ends (if it ran
    before the first began)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            if self.depth == 0:
                self.resume = gc.isenabled()
            self.depth += 1
            gc.disable()
        try:
            yield
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0 and self.resume:
                    gc.enable()


paused_collector = _CollectorPause()
"""Run a bulk load without the cyclic garbage collector: ``with paused_collector(): …``.

A batch allocates tens of thousands of dicts and tuples that live until the batch is stored;
each survivor pushes the collector towards a full pass over every object of the process (a
million parsed CSV cells, the caller's models), which took as long as the load itself. The rows
hold no reference cycles, so reference counting frees them as before.
"""
