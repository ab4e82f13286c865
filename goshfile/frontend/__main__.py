"""``python -m goshfile.frontend``: the BuildKit frontend entry point."""

import sys

from goshfile.frontend.main import main

sys.exit(main())
