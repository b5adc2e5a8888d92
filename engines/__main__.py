"""``python -m engines``: see :mod:`engines.cli`."""

from engines.cli import main

raise SystemExit(main())
