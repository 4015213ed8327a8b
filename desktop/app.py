"""Entry point of ``loyalty-terminal``."""

import sys


def main() -> int:
    # The PySide6 terminal is built by the terminal issues; until then the command
    # exists so packaging and the README can name it, and says so plainly.
    print("loyalty-terminal: the desktop terminal is not built yet.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
