"""Rebuild fixtures/demo_project.json from the raw seed files in fixtures/raw/.

Runs the real importer inside a transaction that is rolled back, so the
fixture is exactly what an import produces and the database is left alone.
"""
import datetime as dt
import json
import zlib
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotate.models import Article, ArticleQuestion, Label, Polarity, Project, RelationType, StanceTarget
from annotate.models.article import SHUFFLE_KEYS
from annotate.services.importing import ImportFailed, import_file
from annotate.services.projects import create_project

RAW_DIR = Path(settings.BASE_DIR) / "fixtures" / "raw"
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo_project.json"


# A fixed moment, so rebuilding the fixture from unchanged seeds gives the same file.
BUILT_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


def build_demo_fixture(raw_dir: Path = RAW_DIR) -> str:
    """The demo project and its cleaned seed articles, serialised with natural keys."""
    spec = json.loads((raw_dir / "demo_project.json").read_text(encoding="utf-8"))
    if Project.objects.filter(slug=spec["slug"]).exists():
        raise CommandError(f"project {spec['slug']!r} exists in this database; build against an empty one")
    output = None
    try:
        with transaction.atomic():
            project = create_project(
                name=spec["name"],
                slug=spec["slug"],
                description=spec["description"],
                guidelines=spec["guidelines"],
                annotators_per_article=spec["annotators_per_article"],
                targets=spec["targets"],
            )
            # The questions about the whole article (check-worthiness, topic, overall stance, skip reason).
            for fields in spec.get("article_questions", []):
                question = ArticleQuestion(project=project, **fields)
                question.full_clean()
                question.save()
            for path in sorted(raw_dir.glob("*.txt")):
                with path.open("rb") as stream:
                    import_file(stream, name=path.name, project_slug=project.slug, language=spec["language"])
            Project.objects.filter(pk=project.pk).update(created_at=BUILT_AT, updated_at=BUILT_AT)
            Article.objects.filter(project=project).update(created_at=BUILT_AT, updated_at=BUILT_AT)
            # The random queue order's keys, drawn from the external ids: the same file every build.
            for pk, external_id in Article.objects.filter(project=project).values_list("pk", "external_id"):
                Article.objects.filter(pk=pk).update(shuffle_key=zlib.crc32(external_id.encode()) % SHUFFLE_KEYS)
            project.refresh_from_db()
            objects = [project]
            for model in (Label, RelationType, Polarity, StanceTarget, ArticleQuestion, Article):
                order = "order" if model is not Article else "id"
                objects.extend(model.objects.filter(project=project).order_by(order))
            output = serializers.serialize(
                "json", objects, indent=2, use_natural_foreign_keys=True, use_natural_primary_keys=True
            )
            raise _Rollback
    except _Rollback:
        pass
    except ImportFailed as error:
        raise CommandError(str(error)) from None
    return output + "\n"


class Command(BaseCommand):
    help = "Rebuild fixtures/demo_project.json from fixtures/raw/ (the demo project and the cleaned seed articles)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=FIXTURE)

    def handle(self, *args, output, **options):
        output.write_text(build_demo_fixture(), encoding="utf-8")
        self.stdout.write(f"wrote {output}")
