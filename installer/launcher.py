"""Entry point of the bundled application (PyInstaller runs this file)."""

from __future__ import annotations

import multiprocessing
import sys

from fieldsupport.cli import main

if __name__ == "__main__":
    # the demo generator uses worker processes: a frozen app must let them start
    multiprocessing.freeze_support()
    sys.exit(main())
