"""Huishoudboekje: back-office desktop client for municipal income management.

The folder ``app/import`` keeps the name the design gives it, although ``import`` is a Python
keyword. It is reached everywhere through one alias, ``app.importers``, registered here.
"""

import importlib
import sys

__version__ = "0.1.0"

importers = importlib.import_module(".import", __name__)
sys.modules[__name__ + ".importers"] = importers
