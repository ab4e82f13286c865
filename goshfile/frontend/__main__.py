"""``python -m goshfile.frontend``: the BuildKit frontend entry point."""

import os
import sys

from goshfile.frontend.main import main

code = main()
# BuildKit waits for this process to end before it exports: once the result is
# returned (and main's `with` block has closed the channel), skip tearing the
# interpreter down.
sys.stderr.flush()
os._exit(code)
