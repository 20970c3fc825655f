"""Importing articles (and annotation layers) from interchange JSONL, scraped text, or any format
the reading stage registers.

The import runs in stages, the way doccano's data_import/pipeline does; pipeline.py runs them in
one transaction, batch by batch:

    reading.py   a file in a registered format -> (line, interchange record or problem); other tools'
                 exports (Label Studio, doccano, brat, WebAnno TSV) through formats/, one reader a tool,
                 with a label map renaming their labels to ours
    checks.py    each record's validity, the project's vocabulary, whose layer it is, duplicates,
                 --update / --replace: what each record does (a BatchPlan); it inserts nothing
    rows.py      the plan as plain rows, written in bulk (services/bulk.py); --replace keeps the
                 layer and records the change in its history
    report.py    ImportProblem, ImportFailed, ImportReport: what the caller is told

Callers import from here.
"""
from .pipeline import import_file
from .reading import READABLE_SUFFIXES, read_records
from .report import ImportFailed, ImportProblem, ImportReport

__all__ = ["READABLE_SUFFIXES", "ImportFailed", "ImportProblem", "ImportReport", "import_file", "read_records"]
