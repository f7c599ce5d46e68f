"""``python -m openrouter_core``: see :mod:`openrouter_core.cli`."""

from openrouter_core.cli import main

raise SystemExit(main())
