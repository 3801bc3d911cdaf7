"""Background jobs: one runner (:mod:`~api.jobs.runner`) over the server's solver processes
(:mod:`~api.jobs.pool`), for two kinds of job: plans (:mod:`~api.jobs.plans`) and
simulations (:mod:`~api.jobs.simulations`)."""

from api.jobs.plans import PlanJobs
from api.jobs.runner import JobContext, JobKind, JobRunner
from api.jobs.simulations import SimulationJobs

__all__ = ["JobContext", "JobKind", "JobRunner", "PlanJobs", "SimulationJobs"]
