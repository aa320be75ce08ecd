"""PySide6 windows, dialogs and table models. Calls services only; holds no Session across
user actions."""
