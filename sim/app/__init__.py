"""The web app for planners (``cqsim app``): Mesa's SolaraViz over the cluster model.

- :mod:`sim.app.levers`: the levers, the validated scenario they make, and saving it as a
  scenario file that ``cqsim run`` accepts.
- :mod:`sim.app.live`: the model the app steps (a year per step), the same-seed baseline, the
  target table.
- :mod:`sim.app.charts`: the figures (matplotlib, drawn on the server as PNG).
- :mod:`sim.app.views`: the Solara components and the page (imports Solara; the server loads it).
- :mod:`sim.app.server`: ``cqsim app``: serves the page locally, with nothing from the network.

This package's ``__init__`` imports nothing, so the command line stays fast.
"""
