"""Service reports: their content, PDF (ReportLab) and JSON, and the ERP export.

Importing ReportLab runs ``~/.reportlab_mods`` when there is one, and it stops with
NotADirectoryError where the home folder is not a folder (HOME set to a file or to
/dev/null, as for some service accounts): every report would fail. This package runs before
any of its modules imports ReportLab, so it tells ReportLab there are no such modifications
in exactly that case; a home folder keeps ReportLab's usual behaviour.
"""

from __future__ import annotations

import os
import sys
import types


def _no_reportlab_mods_without_a_home_folder() -> None:
    try:
        os.stat(os.path.join(os.path.expanduser("~"), ".reportlab_mods"))
    except NotADirectoryError:
        sys.modules.setdefault("reportlab_mods", types.ModuleType("reportlab_mods"))
    except (OSError, KeyError, ValueError):  # no such file, unreadable, no home at all
        pass


_no_reportlab_mods_without_a_home_folder()
