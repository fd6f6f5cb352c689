"""``python -m fieldsupport``: same as the ``fieldsupport`` command."""

from __future__ import annotations

import sys

from fieldsupport.cli import main

if __name__ == "__main__":
    sys.exit(main())
