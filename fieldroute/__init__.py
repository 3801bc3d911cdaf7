"""The ``fieldroute`` command: the one place that puts the parts together.

``scheduler`` is the library, ``datasets`` generates realistic days, ``api`` is the HTTP
service and ``benchmarks`` (in a source checkout) measures the search; this package builds
the command line from them (:mod:`fieldroute.cli`) and holds what only the command uses:
the end-to-end demo, its interactive map and the headless browser that checks it.
"""
