"""Releases as the API shows them: the list, and one release's manifest with its files' download URLs."""
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.models import Release


class ReleaseFileSerializer(serializers.Serializer):
    format = serializers.CharField(help_text="jsonl, parquet, csv, conll, brat; card (README.md); checksums "
                                             "(SHA256SUMS).")
    file = serializers.CharField()
    url = serializers.CharField()
    sha256 = serializers.CharField()
    bytes = serializers.IntegerField()
    records = serializers.IntegerField(allow_null=True)


class ReleaseSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = ["name", "url", "status", "created_at", "created_by", "filters", "records", "up_to", "job",
                  "error", "files"]
        read_only_fields = fields

    def get_url(self, release) -> str:
        return reverse("api:release-detail", args=[release.project.slug, release.name])

    def get_job(self, release) -> str | None:
        return reverse("api:job-detail", args=[release.job_id]) if release.job_id else None

    @extend_schema_field(ReleaseFileSerializer(many=True))
    def get_files(self, release) -> list[dict]:
        found = []
        for name, entry in release.manifest.items():
            file = entry["path"].rsplit("/", 1)[-1]
            found.append({"format": name, "file": file,
                          "url": reverse("api:release-file", args=[release.project.slug, release.name, file]),
                          "sha256": entry["sha256"], "bytes": entry["bytes"], "records": entry["records"]})
        return found
