"""The service's typed storage layer: database rows in, domain objects out, and back.

* :mod:`~api.store.day`: a day's stored centres, engineers and visits as a domain
  ``Problem``;
* :mod:`~api.store.plans`: plan rows, which keep that problem and the solved ``Plan`` as the
  library's problem and plan files, read back as a :class:`~api.store.plans.SolvedPlan`;
* :mod:`~api.store.simulations`: simulation rows, their ``Scenario`` and ``SimulationResult``;
* :mod:`~api.store.queue`: the job queue the runner claims plan and simulation rows from.

Routes and the job runner go through these functions and never read or write a plan,
problem or scenario document themselves. The functions add, change and flush; the caller
(a request handler, a step of the runner) commits once.
"""
