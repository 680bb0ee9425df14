"""Long-lived objects out of the garbage collector's way.

A worker keeps a few hundred thousand objects for its whole life (the app and its routes,
SQLAlchemy's mappers, jieba's dictionary, the QC, intent and review models). Every full
collection traverses them all, about 170 ms here, and under load one lands inside some request
every few seconds: those pauses were the p99 of the ticket API. ``gc.freeze`` moves everything
alive now into a generation the collector never visits (CPython's advice for long-running
servers); reference counting still frees those objects when they are dropped.
"""

import gc


def freeze_long_lived() -> None:
    """Collect once, then keep what survived out of later collections: call after startup and
    after loading a model or dictionary a process keeps."""
    gc.collect()
    gc.freeze()
