"""`python -m shellsso.emulator` runs the emulator in the foreground."""

import sys

from .cli import main

sys.exit(main())
