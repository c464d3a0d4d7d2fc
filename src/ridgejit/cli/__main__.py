"""``python -m ridgejit.cli``: the same as the ``ridgejit`` command."""

import sys

from .main import main

sys.exit(main())
