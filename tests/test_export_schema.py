"""The typed schema of a JSONL record (export/schema): JSON Schema for validators, datasets.Features for
`load_dataset(..., features=...)`, read with the real `datasets` over HTTP (docs/export.md, "Hugging Face")."""
import io

import orjson
import pytest
import requests
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotate.export import features_dict, iter_records, json_schema
from annotate.models import Membership
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import api_client, make_member, make_project, make_user

datasets = pytest.importorskip("datasets", reason="HF datasets is not installed")
jsonschema = pytest.importorskip("jsonschema")


def _nodes(schema):
    yield schema
    for child in (schema.get("properties") or {}).values():
        yield from _nodes(child)
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"])


def test_the_json_schema_is_draft_2020_12_and_no_field_is_typed_null_alone():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    types = [node["type"] for node in _nodes(schema)]
    assert "null" not in types
    spans = schema["properties"]["annotations"]["properties"]["spans"]["items"]["properties"]
    stances = schema["properties"]["annotations"]["properties"]["stances"]["items"]["properties"]
    assert spans["entity"]["type"] == stances["holder_entity"]["type"] == ["string", "null"]


def test_the_features_dict_is_what_datasets_writes_and_reads_back():
    body = features_dict()
    features = datasets.Features.from_dict(body)
    assert features.to_dict() == body
    spans = features["annotations"]["spans"].feature
    assert spans["entity"] == datasets.Value("string") and spans["attributes"] == datasets.Json()
    assert features["metadata"] == datasets.Json()
    # Every key; the ones written only when asked for (include=comments) are not required.
    assert set(features) == set(json_schema()["properties"])
    assert set(json_schema()["required"]) == set(features) - {"threads"}


@pytest.mark.django_db
def test_every_exported_record_is_valid(project, annotator_a):
    records = annotated_records(30, seed=4)
    records[0]["published"] = None
    import_file(io.BytesIO(to_jsonl(records)), name="c.jsonl", project_slug=project.slug, annotator=annotator_a)
    validator = jsonschema.Draft202012Validator(json_schema())
    exported = list(iter_records(project))
    assert len(exported) == 30
    for record in exported:
        validator.validate(orjson.loads(orjson.dumps(record)))


@pytest.mark.django_db
def test_the_endpoint_answers_either_form_with_an_etag(project):
    engineer = make_member(project, make_user("erin"), role=Membership.Role.ENGINEER)
    client = api_client(engineer)
    url = reverse("api:export-schema", kwargs={"slug": project.slug})
    schema = client.get(url)
    assert schema.status_code == 200
    assert schema.json()["$schema"] == json_schema()["$schema"] and schema.json()["$id"].endswith(url)
    features = client.get(url, {"as": "features"})
    assert features.json() == features_dict()
    assert features["ETag"] != schema["ETag"]
    assert client.get(url, {"as": "features"}, HTTP_IF_NONE_MATCH=features["ETag"]).status_code == 304
    bad = client.get(url, {"as": "arrow"})
    assert bad.status_code == 400 and "as" in bad.json()


# The real reader over HTTP -----------------------------------------------------------------------------


def _without_entities(record: dict) -> dict:
    spans = [{k: v for k, v in span.items() if k != "entity"} for span in record["annotations"]["spans"]]
    stances = [s for s in record["annotations"]["stances"] if "holder" in s]
    return dict(record, annotations=dict(record["annotations"], spans=spans, stances=stances))


@pytest.fixture
def served(live_server, transactional_db):
    """Two projects served over HTTP: `late` (1,000 articles, entity links only in the last 100 layers) and
    `plain` (entity links nowhere); a token of an engineer of both."""
    anna, erin = make_user("anna"), make_user("erin")
    late, plain = make_project("late", targets=TARGETS), make_project("plain", targets=TARGETS)
    records = annotated_records(1000, seed=11)
    records = [_without_entities(r) for r in records[:900]] + records[900:]
    import_file(io.BytesIO(to_jsonl(records)), name="late.jsonl", project_slug="late", annotator=anna)
    import_file(io.BytesIO(to_jsonl([_without_entities(r) for r in annotated_records(20, seed=3)])),
                name="plain.jsonl", project_slug="plain", annotator=anna)
    for project in (late, plain):
        make_member(project, erin, role=Membership.Role.ENGINEER)
    headers = {"Authorization": f"Token {Token.objects.create(user=erin).key}"}

    def url(slug, name="jsonl"):
        return live_server.url + reverse(f"api:export-{name}", kwargs={"slug": slug})
    return url, headers


def _chain(error: BaseException) -> str:
    """An exception and its causes, as text (datasets wraps the reader's error in its own)."""
    parts = []
    while error is not None:
        parts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


def _features(url, headers, slug):
    body = requests.get(url(slug, "schema") + "?as=features", headers=headers, timeout=60).json()
    return datasets.Features.from_dict(body)


# datasets infers a JSON file's types from its first chunk (10 MB: about 700 layers of the benchmark corpus);
# these small synthetic records need a smaller chunk to put the first entity link past the first chunk.
CHUNK = 64 << 10


def test_late_entity_links_break_inference_and_load_with_the_features(served, tmp_path):
    url, headers = served
    options = {"storage_options": {"headers": headers}, "chunksize": CHUNK}
    with pytest.raises(Exception) as error:
        datasets.load_dataset("json", data_files=url("late"), cache_dir=str(tmp_path / "a"), **options)
    assert "Couldn't cast array of type string to null" in _chain(error.value)

    features = _features(url, headers, "late")
    corpus = datasets.load_dataset("json", data_files=url("late"), features=features, split="train",
                                   cache_dir=str(tmp_path / "b"), **options)
    assert corpus.num_rows == 1000
    entities = [s["entity"] for row in corpus["annotations"] for s in row["spans"]]
    assert entities[0] is None and any(entities)
    assert corpus[999]["metadata"] == {}


def test_two_projects_mixed_load_with_the_features(served, tmp_path):
    url, headers = served
    files = [url("plain"), url("late")]
    with pytest.raises(Exception) as error:
        datasets.load_dataset("json", data_files=files, storage_options={"headers": headers},
                              cache_dir=str(tmp_path / "a"))
    assert "to null" in _chain(error.value)
    corpus = datasets.load_dataset("json", data_files=files, features=_features(url, headers, "late"),
                                   split="train", storage_options={"headers": headers}, cache_dir=str(tmp_path / "b"))
    assert corpus.num_rows == 1020


def test_an_empty_export(served, tmp_path):
    """Without features: StopIteration (datasets reads the first chunk to infer types, and there is none).
    With features: datasets builds no split from zero rows ("corresponds to no data"), whatever the server
    sends; streaming reads it, and the documented recipe (HEAD's count first) gives an empty, typed Dataset."""
    url, headers = served
    empty = url("late") + "?updated_since=2999-01-01T00:00:00Z"
    features = _features(url, headers, "late")
    with pytest.raises(Exception) as error:
        datasets.load_dataset("json", data_files=empty, storage_options={"headers": headers},
                              cache_dir=str(tmp_path / "a"))
    assert "StopIteration" in _chain(error.value)
    with pytest.raises(ValueError, match="corresponds to no data"):
        datasets.load_dataset("json", data_files=empty, features=features, storage_options={"headers": headers},
                              cache_dir=str(tmp_path / "b"))
    streamed = datasets.load_dataset("json", data_files=empty, features=features, split="train", streaming=True,
                                     storage_options={"headers": headers})
    assert list(streamed) == []

    recipe = _documented_recipe(features, headers, tmp_path)
    assert recipe(empty).num_rows == 0 and recipe(empty).features == features
    assert recipe(url("plain")).num_rows == 20


def _documented_recipe(features, headers, tmp_path):
    # docs/export.md, "Hugging Face datasets": the function as written there (cache_dir added for the test).
    def load_export(url):
        count = int(requests.head(url, headers=headers, timeout=60).headers["X-Export-Count"])
        if count == 0:  # datasets builds no split from an empty file
            return datasets.Dataset.from_dict({name: [] for name in features}, features=features)
        corpus = datasets.load_dataset("json", data_files=url, features=features, split="train",
                                       storage_options={"headers": headers}, download_mode="force_redownload",
                                       cache_dir=str(tmp_path / "recipe"))
        if corpus.num_rows != count:
            raise RuntimeError("incomplete export (or it changed between the two requests): load it again")
        return corpus
    return load_export


def test_datasets_keys_its_cache_by_url_and_etag(served, tmp_path):
    url, headers = served
    features = _features(url, headers, "plain")
    options = {"features": features, "split": "train", "storage_options": {"headers": headers},
               "cache_dir": str(tmp_path)}
    first = datasets.load_dataset("json", data_files=url("plain"), **options)
    # A change the ETag does not see (a label renamed): the cached copy comes back...
    from annotate.models import Label
    Label.objects.filter(project__slug="plain", name="QUOTE").update(name="QUOTATION")
    again = datasets.load_dataset("json", data_files=url("plain"), **options)
    labels = {s["label"] for row in again["annotations"] for s in row["spans"]}
    assert "QUOTE" in labels and again.num_rows == first.num_rows
    # ... until download_mode="force_redownload".
    fresh = datasets.load_dataset("json", data_files=url("plain"), download_mode="force_redownload", **options)
    labels = {s["label"] for row in fresh["annotations"] for s in row["spans"]}
    assert "QUOTATION" in labels and "QUOTE" not in labels
