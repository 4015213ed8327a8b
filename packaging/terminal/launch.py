"""What PyInstaller freezes: the ``loyalty-terminal`` console script, as a file."""

from desktop.app import main

raise SystemExit(main())
