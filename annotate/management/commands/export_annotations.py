from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotate.export import (
    FORMATS,
    STATUSES,
    FilterError,
    export_records,
    in_chunks,
    parse_filters,
    parse_trailer,
    summarise,
)
from annotate.models import Project


class Command(BaseCommand):
    help = (
        "Export a project's annotation layers (the API's export, from the command line): "
        "same records, same writers. Writes to stdout unless --output is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--format", default="jsonl", choices=list(FORMATS))
        parser.add_argument("--output", type=Path, help="File to write (default: stdout).")
        parser.add_argument("--status", default="submitted", choices=STATUSES,
                            help="submitted (default): annotators' submitted layers; gold: adjudicated gold "
                                 "layers; all: every layer; suggestions: the recommenders' suggestions "
                                 "(jsonl and json).")
        parser.add_argument("--annotator", help="Only this annotator's layers (username).")
        parser.add_argument("--updated-since", help="Only layers changed at or after this ISO 8601 datetime.")
        parser.add_argument("--article", help="Only this article (external id).")
        parser.add_argument("--recommender", action="append",
                            help="--status suggestions: only this recommender's suggestions (repeatable).")
        parser.add_argument("--min-score", help="--status suggestions: only suggestions scoring at least this.")
        parser.add_argument("--include", choices=["comments"],
                            help="comments: each layer's discussion threads with their comments (jsonl and json; "
                                 "the API's ?include=comments). Never by default.")
        parser.add_argument("--with-unannotated", action="store_true",
                            help="Also write the articles that have no layer at all (empty annotations): with "
                                 "--status all, a complete backup that import_articles restores.")
        parser.add_argument("--trailer", action="store_true",
                            help='End with a completion record, {"_export": {"count": N, "complete": true}} '
                                 "(jsonl and json only; the API's ?trailer=1). import_articles does not read it.")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project {options['project']!r}")
        params = {key: options[key] for key in ("status", "annotator", "updated_since", "article", "min_score",
                                                "include")}
        params["recommender"] = ",".join(options["recommender"] or [])
        export_format = FORMATS[options["format"]]
        try:
            if options["with_unannotated"] and options["status"] == "suggestions":
                raise FilterError("with_unannotated", "adds articles without layers to an export of layers")
            filters = parse_filters(params, project=project, suggestions=export_format.takes_suggestions)
            trailer = parse_trailer({"trailer": "1" if options["trailer"] else ""}, export_format=export_format)
        except FilterError as error:
            raise CommandError(f"--{error.parameter.replace('_', '-')}: {error.message}") from None
        summary = summarise(project, filters)
        records = export_records(project, filters, summary, trailer=trailer,
                                 with_unannotated=options["with_unannotated"])
        chunks = in_chunks(export_format.write(records))

        if options["output"]:
            with Path(options["output"]).open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            self.stderr.write(f"{summary.count} record(s) written to {options['output']}")
            return
        binary = getattr(self.stdout, "buffer", None)
        if binary is not None:
            self.stdout.flush()
            for chunk in chunks:
                binary.write(chunk)
            binary.flush()
        elif export_format.name == "brat":
            raise CommandError("brat is a zip file: write it with --output FILE")
        else:  # a text stream (call_command with stdout=StringIO)
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8"), ending="")
