"""Reading a big statement file in a second process while the import stores and links.

The import's own process has enough to do (deciding each entry, writing it, re-evaluating the
signals); reading a camt.053 of 100,000 entries is a few seconds of pure Python that a second
core can do meanwhile. The reading process streams the file (app.importers.statements) and
hands each chunk over a pipe as plain tuples; the pipe holds about one chunk, so the reader
stays at most a chunk or two ahead and memory stays flat on both sides. Its errors arrive as
the same one-line StatementFileError, at the same point of the import, so whole-or-nothing is
unchanged: the import's transaction simply rolls back.

Small files are read in the import's own process: starting a process costs more than it
saves below a few megabytes. If a process cannot be started at all, the file is read here.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

from app.importers.statements import (
    Entry,
    StatementChunk,
    StatementFileError,
    StatementStream,
    stream_statement_file,
    unreadable,
)

log = logging.getLogger(__name__)

READ_AHEAD_BYTES = 4_000_000  # about 7,000 camt.053 entries
_FIELDS = tuple(f.name for f in fields(Entry))
_DATES = tuple(i for i, name in enumerate(_FIELDS) if name in ("booking_date", "value_date"))


def stream(path: str | Path) -> StatementStream:
    """The file's chunks, read in a second process when the file is big enough to gain."""
    path = Path(path)
    try:
        big = path.stat().st_size >= READ_AHEAD_BYTES
    except OSError:
        big = False  # stream_statement_file gives the one-line reason
    if not big:
        return stream_statement_file(path)
    try:
        context = multiprocessing.get_context("spawn")  # no fork of a process with Qt, threads
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=_read, args=(str(path), sending), daemon=True,
                                  name="huishoudboekje-lezen")
        process.start()
    except (OSError, RuntimeError, ValueError):
        log.warning("no second process to read %s; reading it here", path.name, exc_info=True)
        return stream_statement_file(path)
    sending.close()  # the child's end: the parent sees EOF if the child dies
    try:
        kind, *message = _receive(receiving, process)
        if kind == "error":
            raise StatementFileError(message[0])
    except BaseException:
        _stop(process, receiving)
        raise
    file_format, has_balances, whole = message
    result = StatementStream(file_format, (), has_balances=has_balances, whole=whole)
    result.chunks = _chunks(receiving, process, result)
    return result


def _chunks(receiving, process, result: StatementStream) -> Iterator[StatementChunk]:
    try:
        while True:
            kind, *message = _receive(receiving, process)
            if kind == "error":
                raise StatementFileError(message[0])
            if kind == "done":
                result.bank, result.warnings[:] = message
                return
            number, statement, rows, last, result.bank = message
            yield StatementChunk(number, statement, [_entry(row) for row in rows], last)
    finally:
        _stop(process, receiving)


def _receive(receiving, process) -> tuple:
    try:
        return receiving.recv()
    except (EOFError, OSError):
        process.join(timeout=5)
        raise StatementFileError(
            f"het lezen van het bestand is afgebroken (code {process.exitcode}); er is niets "
            "opgeslagen") from None


def _stop(process, receiving) -> None:
    receiving.close()
    if process.is_alive():
        process.terminate()
    process.join(timeout=5)


def _entry(row: tuple) -> Entry:
    values = list(row)
    for i in _DATES:
        if values[i] is not None:
            values[i] = date.fromordinal(values[i])
    return Entry(*values)


def _row(entry: Entry) -> tuple:
    # Dates as day numbers and no dataclass: a third of the pickling time.
    values = [getattr(entry, name) for name in _FIELDS]
    for i in _DATES:
        if values[i] is not None:
            values[i] = values[i].toordinal()
    return tuple(values)


def _read(path: str, sending) -> None:
    """The reading process: everything it learns goes over the pipe, errors as one line."""
    try:
        try:
            source = stream_statement_file(path)
            sending.send(("start", source.file_format, source.has_balances, source.whole))
            for chunk in source.chunks:
                header = replace(chunk.statement, entries=[])
                sending.send(("chunk", chunk.number, header,
                              [_row(entry) for entry in chunk.entries], chunk.last,
                              source.bank))
            sending.send(("done", source.bank, list(source.warnings)))
        except StatementFileError as exc:
            sending.send(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - one line for the clerk, never a traceback
            sending.send(("error", str(unreadable(Path(path), exc))))
    except (BrokenPipeError, OSError):
        pass  # the import stopped (refused, cancelled, killed): nobody is listening
    finally:
        sending.close()
