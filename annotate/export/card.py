"""The dataset card: a README.md for an export or a release, in the Hugging Face dataset card style.

YAML front matter (license when known, languages, task categories, size category, and `configs` whose
`data_files` name the release's files, so a release directory can be pushed to the Hub as it is), then
Markdown: what was exported and how, label counts, annotators, agreement, progress, the files.

Every figure is read from what the project keeps (annotate/dashboards.py: label_distribution, unfiltered
agreement and progress are kept totals), never counted over the corpus here, so the card costs a request
the same whatever the corpus holds. Those figures describe the project (its submitted and adjudicated
layers), not the filtered export: the card says so.
"""
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping

from django.utils import timezone

from ..interchange import SCHEMA_VERSION
from .filters import ExportFilters
from .formats import FORMATS
from .summary import ExportSummary

# Languages of the live card: read from the project's latest articles (a bounded read); a release's card lists
# every language of its records instead.
LANGUAGE_SAMPLE = 1000
SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]


def size_category(count: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if count < limit:
            return name
    return "n>100M"


def guidelines_version(project) -> str:
    """The guidelines have no version number: their text's SHA-256 (first 12 hex digits) stands for it."""
    if not project.guidelines.strip():
        return "none"
    return "sha256:" + hashlib.sha256(project.guidelines.encode()).hexdigest()[:12]


def sample_languages(project) -> list[str]:
    latest = project.articles.order_by("-pk").values_list("language", flat=True)[:LANGUAGE_SAMPLE]
    return sorted({language.strip().lower() for language in latest if language and language.strip()})


# A release's file names say what they hold (brat's zip is not any zip).
EXTENSIONS = {"brat": "brat.zip"}


def file_name(stem: str, format_name: str) -> str:
    return f"{stem}.{EXTENSIONS.get(format_name, FORMATS[format_name].extension)}"


def default_files(project, formats: Iterable[str], stem: str) -> dict[str, str]:
    return {name: file_name(stem, name) for name in formats if name in FORMATS}


def dataset_card(project, filters: ExportFilters, *, summary: ExportSummary,
                 formats: Iterable[str] = ("jsonl", "parquet", "csv", "conll", "brat"),
                 files: Mapping[str, Mapping] | None = None, release: str | None = None,
                 languages: Iterable[str] | None = None, license: str | None = None,
                 generated_at=None, figures: Mapping | None = None) -> str:
    """The card as Markdown text.

    `files` is {format: {"path": file name, "sha256", "bytes", "records"}} for a release (names relative to
    the card); without it the card names the files an export of `formats` would have. `figures` (label
    counts, agreement, progress) are read from the project's kept totals unless given.
    """
    from .. import dashboards  # the dashboards read the export's models; imported here to keep this light

    generated_at = generated_at or timezone.now()
    stem = f"{project.slug}-{release}" if release else project.slug
    if files is None:
        files = {name: {"path": path} for name, path in default_files(project, formats, stem).items()}
    languages = sorted(languages) if languages is not None else sample_languages(project)
    if figures is None:
        figures = {"labels": dashboards.label_distribution(project), "agreement": dashboards.agreement(project),
                   "progress": dashboards.progress(project)}

    front = _front_matter(project, files, languages=languages, license=license, count=summary.count)
    title = f"{project.name} ({release})" if release else project.name
    parts = [front, f"# {title}\n"]
    if project.description.strip():
        parts.append(project.description.strip() + "\n")
    parts.append(_export_section(project, filters, summary, generated_at=generated_at, release=release))
    parts.append(_files_section(files))
    parts.append(_labels_section(figures["labels"]))
    parts.append(_annotators_section(figures["progress"], figures["agreement"]))
    parts.append(_agreement_section(figures["agreement"]))
    parts.append(_loading_section(files))
    return "\n".join(parts)


def _yaml(value) -> str:
    # JSON strings are YAML flow scalars: quoting every value keeps "n<1K" or "1.0" from being read as
    # anything but text.
    return json.dumps(value, ensure_ascii=False)


def _front_matter(project, files, *, languages, license, count) -> str:
    lines = ["---"]
    if license:
        lines.append(f"license: {_yaml(license)}")
    if languages:
        lines.append("language:")
        lines += [f"- {_yaml(language)}" for language in languages]
    lines += ["task_categories:", '- "token-classification"', '- "text-classification"',
              "tags:", '- "stance-detection"', '- "claim-detection"', '- "quotation-attribution"',
              f"pretty_name: {_yaml(project.name)}", "size_categories:", f"- {_yaml(size_category(count))}"]
    # One config: `datasets` picks one builder for a whole directory or repository (from its files'
    # extensions), so configs of other formats beside it would not load. Parquet has the fixed schema.
    default = next((name for name in ("parquet", "jsonl") if name in files), None)
    if default:
        lines += ["configs:", '- config_name: "default"', "  data_files:", '  - split: "train"',
                  f"    path: {_yaml(files[default]['path'])}"]
    lines.append("---\n")
    return "\n".join(lines)


def _export_section(project, filters: ExportFilters, summary: ExportSummary, *, generated_at, release) -> str:
    rows = [("Project", f"`{project.slug}`")]
    if release:
        rows.append(("Release", f"`{release}` (frozen: its files never change)"))
    rows += [
        ("Exported at", _utc(generated_at)),
        ("Records (article layers)", str(summary.count)),
        ("Last layer id in the cut", str(summary.last_id) if summary.last_id is not None else "none"),
        ("Filters", ", ".join(f"`{key}={value}`" for key, value in _filters(filters).items())),
        ("Record schema version", str(SCHEMA_VERSION)),
        ("Guidelines version", f"`{guidelines_version(project)}`"),
    ]
    table = "\n".join(f"| {key} | {value} |" for key, value in rows)
    return f"## Export\n\n| | |\n|---|---|\n{table}\n"


def _utc(moment) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _filters(filters: ExportFilters) -> dict[str, str]:
    found = {"status": filters.status}
    if filters.annotator:
        found["annotator"] = filters.annotator
    if filters.updated_since:
        found["updated_since"] = _utc(filters.updated_since)
    if filters.article:
        found["article"] = filters.article
    return found


def _files_section(files) -> str:
    if not any(entry.get("sha256") for entry in files.values()):  # an export's card: the files are not written yet
        lines = ["## Files\n", "| format | file |", "|---|---|"]
        lines += [f"| {name} | `{entry['path']}` |" for name, entry in files.items()]
        lines.append("\nFormats are described in the tool's docs/export.md.\n")
        return "\n".join(lines)
    lines = ["## Files\n", "| format | file | records | bytes | SHA-256 |", "|---|---|---|---|---|"]
    for name, entry in files.items():
        lines.append(f"| {name} | `{entry['path']}` | {entry.get('records', '')} | {entry.get('bytes', '')} | "
                     f"`{entry['sha256']}` |")
    lines.append("\nFormats are described in the tool's docs/export.md.\n")
    return "\n".join(lines)


def _labels_section(labels) -> str:
    lines = ["## Labels\n", "Spans per label in the project's submitted and adjudicated layers (the whole "
             "project, whatever the export's filters):\n", "| label | spans |", "|---|---|"]
    lines += [f"| {name} | {n} |" for name, n in labels]
    return "\n".join(lines) + "\n"


def _annotators_section(progress, agreement) -> str:
    per = progress.get("per_annotator", {})
    names = sorted(set(per) | set(agreement.get("annotators", [])))
    lines = ["## Annotators\n",
             f"{len(names)} annotator(s); {progress.get('articles', 0)} article(s) in the project, "
             f"{progress.get('gold', 0)} adjudicated gold layer(s).\n",
             "| annotator | submitted | in progress |", "|---|---|---|"]
    for name in names:
        counts = per.get(name, {})
        lines.append(f"| {name} | {counts.get('submitted', 0)} | {counts.get('in_progress', 0)} |")
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _agreement_section(report) -> str:
    spans = report.get("spans", {})
    micro = spans.get("micro", {})
    lines = ["## Agreement\n",
             f"Between annotators' submitted layers over {report.get('articles', 0)} article(s) coded by at least "
             "two of them (the whole project; definitions in the tool's docs/agreement.md). n/a: undefined "
             "(no items, or one category only).\n",
             f"* Spans, micro F1: exact {_number(micro.get('exact', {}).get('f1'))}, overlap "
             f"{_number(micro.get('overlap', {}).get('f1'))}",
             f"* Relations F1: exact {_number(report.get('relations', {}).get('exact', {}).get('f1'))}, overlap "
             f"{_number(report.get('relations', {}).get('overlap', {}).get('f1'))}",
             f"* Stances: Krippendorff's alpha {_number(report.get('stances', {}).get('krippendorff_alpha'))} over "
             f"{report.get('stances', {}).get('items', 0)} item(s)\n",
             "| label | exact F1 | overlap F1 | Krippendorff's alpha | support |", "|---|---|---|---|---|"]
    alpha = spans.get("krippendorff_alpha", {})
    for label, modes in spans.get("per_label", {}).items():
        lines.append(f"| {label} | {_number(modes['exact'].get('f1'))} | {_number(modes['overlap'].get('f1'))} | "
                     f"{_number(alpha.get(label))} | {modes['exact'].get('support', 0)} |")
    return "\n".join(lines) + "\n"


def _loading_section(files) -> str:
    lines = ["## Loading\n", "```python", "import datasets"]
    if "parquet" in files:
        lines.append(f'corpus = datasets.load_dataset("parquet", data_files="{files["parquet"]["path"]}")')
    if "jsonl" in files:
        lines.append(f'records = datasets.load_dataset("json", data_files="{files["jsonl"]["path"]}", '
                     "features=features)  # features: GET …/export/schema?as=features")
    if "csv" in files:
        lines.append(f'spans = datasets.load_dataset("csv", data_files="{files["csv"]["path"]}")  '
                     "# one row per span")
    lines += ["```", ""]
    if any(entry.get("sha256") for entry in files.values()):
        lines.append("Check the files with `sha256sum -c SHA256SUMS`.\n")
    return "\n".join(lines)
