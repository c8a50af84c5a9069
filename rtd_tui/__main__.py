"""``python -m rtd_tui`` runs the same entry point as the ``rtd-tui`` script."""

from rtd_tui.cli import main

raise SystemExit(main())
