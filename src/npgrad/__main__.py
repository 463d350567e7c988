"""``python -m npgrad``: the ``npgrad`` command."""
import sys

from .cli import main

sys.exit(main())
