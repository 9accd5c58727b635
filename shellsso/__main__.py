"""`python -m shellsso` runs the same CLI as the `shellsso` script."""

import sys

from shellsso.cli import main

sys.exit(main())
