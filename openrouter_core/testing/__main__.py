"""``python -m openrouter_core.testing serve``: run the emulator from a shell (see ``_serve``)."""

from __future__ import annotations

import sys

from openrouter_core.testing._serve import main

if __name__ == "__main__":
    sys.exit(main())
