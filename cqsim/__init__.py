"""The ``cqsim`` command line, above the library (``sim``) and the planners' ``analysis``.

:mod:`cqsim.cli` holds the parser, the entry point and the mapping of library errors to
messages and exit statuses; each group of commands has its own module (:mod:`cqsim.run`,
:mod:`cqsim.planning`, :mod:`cqsim.calibration`, :mod:`cqsim.sweeps`, :mod:`cqsim.app`).
Nothing here is imported by the library.
"""

import sim.simd  # noqa: F401  (before numpy: the same bits on every x86 machine)
