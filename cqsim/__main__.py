"""``python -m cqsim``: the same as the ``cqsim`` console script."""

import sys

from cqsim.cli import main

sys.exit(main())
