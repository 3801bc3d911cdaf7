"""The file formats, each written once: clock times, the problem and plan JSON files, their
JSON Schemas, and the CSV files of a day.

* :mod:`~scheduler.formats.clock`: clock times and durations in files <-> integer seconds;
* :mod:`~scheduler.formats.boundary`: the pydantic boundary the formats share (strict models,
  field types, JSON parsing, error messages that name the object, field and value);
* :mod:`~scheduler.formats.problem_file` and :mod:`~scheduler.formats.plan_file`: the JSON
  files ``fieldroute solve`` reads and writes, mapped explicitly to and from the domain;
* :mod:`~scheduler.formats.schemas`: their JSON Schemas (committed under ``schemas/``);
* :mod:`~scheduler.formats.csv_files`: the same day as ``service_centers.csv``,
  ``engineers.csv`` and ``visits.csv`` (a spreadsheet's form of the problem file).
"""

from scheduler.formats.csv_files import (
    ENGINEERS_CSV,
    SERVICE_CENTERS_CSV,
    VISITS_CSV,
    BreakSpec,
    CsvFormatError,
    CsvRowError,
    EngineerRow,
    ServiceCenterRow,
    VisitRow,
    parse_engineers_csv,
    parse_service_centers_csv,
    parse_visits_csv,
    read_csv,
    write_csv,
)
from scheduler.formats.plan_file import PlanFile, plan_from_json, plan_to_json
from scheduler.formats.problem_file import (
    EngineerFile,
    OptionsFile,
    ProblemFile,
    ServiceCenterFile,
    VisitFile,
    WeightsFile,
    load_problem,
    problem_from_json,
    problem_to_json,
)
from scheduler.formats.schemas import plan_json_schema, problem_json_schema, schema_files

__all__ = [
    "ENGINEERS_CSV",
    "SERVICE_CENTERS_CSV",
    "VISITS_CSV",
    "BreakSpec",
    "CsvFormatError",
    "CsvRowError",
    "EngineerFile",
    "EngineerRow",
    "OptionsFile",
    "PlanFile",
    "ProblemFile",
    "ServiceCenterFile",
    "ServiceCenterRow",
    "VisitFile",
    "VisitRow",
    "WeightsFile",
    "load_problem",
    "parse_engineers_csv",
    "parse_service_centers_csv",
    "parse_visits_csv",
    "plan_from_json",
    "plan_json_schema",
    "plan_to_json",
    "problem_from_json",
    "problem_json_schema",
    "problem_to_json",
    "read_csv",
    "schema_files",
    "write_csv",
]
