"""``python -m neuroviz``: same as the ``neuroviz`` command."""

import sys

from neuroviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
