"""``python -m cli`` runs the ``casebook`` command."""

from cli.main import main

raise SystemExit(main())
