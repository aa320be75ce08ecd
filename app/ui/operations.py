"""Running a service call off the GUI thread: the one way screens do database work.

    run_operation(parent, lambda progress: import_statement_file(uow, path, progress=progress),
                  on_done=show_result, label="Importeren…")

The function runs on Qt's thread pool; ``on_done`` / ``on_error`` run back on the GUI thread.
A ``UserError`` is shown as its one Dutch line; anything else as a short message with the
technical detail behind a button — never a bare traceback. With ``label`` a progress dialog
is shown; its Annuleren button sets ``Progress.cancelled``, which long operations check (a
cancelled import raises before commit, so nothing of it is stored).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from app.errors import UserError, ValidationError, as_user_error, first_line


class OperationCancelled(UserError):
    def __init__(self) -> None:
        super().__init__("Geannuleerd: er is niets opgeslagen.")


class Progress:
    """Handed to the operation: report progress, ask whether the clerk cancelled."""

    def __init__(self, signals: _Signals):
        self._signals = signals
        self.cancelled = False

    def __call__(self, done: int, total: int) -> None:
        if self.cancelled:
            raise OperationCancelled()
        self._signals.progress.emit(done, total)

    def check(self) -> None:
        if self.cancelled:
            raise OperationCancelled()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object, str)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, function: Callable[[Progress], Any], signals: _Signals):
        super().__init__()
        self.function = function
        self.signals = signals
        self.progress = Progress(signals)

    @Slot()
    def run(self) -> None:
        try:
            result = self.function(self.progress)
        except Exception as exc:  # noqa: BLE001 - shown to the clerk on the GUI thread
            # A refusal by the database (no GRANT) is one line like any UserError.
            self.signals.failed.emit(as_user_error(exc) or exc, traceback.format_exc())
        else:
            self.signals.done.emit(result)


_running: set[_Signals] = set()  # keeps the signal objects alive until the task reports


def run_operation(parent: QWidget | None, function: Callable[[Progress], Any], *,
                  on_done: Callable[[Any], None] | None = None,
                  on_error: Callable[[BaseException], None] | None = None,
                  label: str | None = None) -> Progress:
    signals = _Signals()
    task = _Task(function, signals)
    dialog = None
    if label is not None:
        dialog = QProgressDialog(label, parent.tr("Annuleren") if parent else "Annuleren",
                                 0, 0, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(lambda: setattr(task.progress, "cancelled", True))
        signals.progress.connect(lambda done, total: (dialog.setMaximum(total),
                                                      dialog.setValue(done)))

    def finished() -> None:
        _running.discard(signals)
        if dialog is not None:
            dialog.reset()
            dialog.deleteLater()

    def done(result: Any) -> None:
        finished()
        if on_done is not None:
            on_done(result)

    def failed(exc: BaseException, detail: str) -> None:
        finished()
        if on_error is not None:
            on_error(exc)
        else:
            show_error(parent, exc, detail)

    signals.done.connect(done)
    signals.failed.connect(failed)
    _running.add(signals)
    QThreadPool.globalInstance().start(task)
    return task.progress


def show_error(parent: QWidget | None, exc: BaseException, detail: str = "") -> None:
    """A message a clerk understands; the technical detail only behind 'Details'."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Huishoudboekje")
    if isinstance(exc, UserError):
        box.setText(str(exc))
    else:
        box.setText("Er ging iets mis. Er is niets half opgeslagen; probeer het opnieuw of "
                    "meld dit met de details.")
        box.setDetailedText(detail or first_line(exc))
    box.open()


def open_store_dialog(owner: QWidget, dialog, store: Callable[[Any], Any],
                      on_stored: Callable[[Any], None]) -> None:
    """Open ``dialog``; when it is accepted run ``store(dialog)`` off the GUI thread — reading
    only the plain values the dialog's ``save`` kept (widgets belong to the GUI thread). A
    ValidationError comes back in the dialog (``dialog.show_error``), which opens again;
    anything else is shown the usual way. ``on_stored(result)`` follows a stored change."""

    def failed(exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            dialog.show_error(str(exc))
            dialog.open()
        else:
            show_error(owner, exc)

    dialog.accepted.connect(lambda: run_operation(
        owner, lambda _progress: store(dialog), on_done=on_stored, on_error=failed))
    dialog.open()


def wait_for_operations(timeout_ms: int = 30_000) -> bool:
    """For tests and shutdown: wait until every background operation has finished."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
