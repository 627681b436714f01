"""``python -m commands.dashboards render | check``: the same as ``govbus dashboards render | check``."""
from __future__ import annotations

import sys

from commands.main import main

if __name__ == "__main__":
    sys.argv[1:1] = ["dashboards"]
    main()
