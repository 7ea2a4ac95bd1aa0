"""Progress of long runs on stderr: stages with counts and elapsed time, only for a person at a terminal.

Nothing is printed when stderr is not a terminal (CI logs, pre-commit, pipes) or with
``--quiet``, so machine-read output never changes.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled and stream is not None
        self._start = time.monotonic()

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool) -> Progress:
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream, tty and not quiet)

    def stage(self, text: str) -> None:
        if self._enabled and self._stream is not None:
            self._stream.write(f"fleetgen [{time.monotonic() - self._start:6.1f}s] {text}\n")
            self._stream.flush()


SILENT = Progress(None, False)
