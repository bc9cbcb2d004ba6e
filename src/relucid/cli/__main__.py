"""``python -m relucid.cli``: the same as the ``relucid`` command."""

import sys

from . import main

sys.exit(main())
