"""The Qt binding itself: a release of PySide6 that loses a reference to None on every call that
returns nothing (6.12.0 on Python 3.11) makes the program abort with "deallocating None" after a
few hundred screen refreshes. pyproject.toml excludes it; this catches the next one."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def test_qt_calls_that_return_nothing_keep_none_alive(qapp):
    holder = QObject()
    table = QTableWidget(10, 10)
    before = sys.getrefcount(None)
    for number in range(2_000):
        holder.setObjectName(f"x{number % 7}")
        table.setItem(number % 10, number % 7, QTableWidgetItem("x"))
    # A little slack for Python's own bookkeeping; the broken binding loses 4,000 here.
    assert sys.getrefcount(None) >= before - 50
