"""Readers: files in, plain dataclasses out. No Session, no Qt.

Reach this package as ``app.importers`` (see ``app/__init__.py``); keep this file free of
relative imports so that every submodule is loaded under that one name.
"""
