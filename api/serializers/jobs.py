from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate import jobs
from annotate.models import Job


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class JobSerializer(serializers.ModelSerializer):
    """A job as its starter and the project's managers see it (docs/jobs.md)."""

    url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    log = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "url", "kind", "status", "progress", "result", "error", "created_at", "started_at",
                  "finished_at", "project", "started_by", "arguments", "log"]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("api:job-detail", args=[job.pk])

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job) -> dict:
        return jobs.progress_of(job, self._beat(job))

    def get_log(self, job) -> str:
        return jobs.log_of(job, self._beat(job))

    def _beat(self, job) -> dict | None:
        """The running job's last beat, when the view read the page's beats at once (else read per job)."""
        beats = self.context.get("beats")
        return beats.get(job.pk) if beats is not None else None


class JobStartedSerializer(serializers.Serializer):
    """The answer to a request that started a job (202): where to follow it."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    status = serializers.CharField()

    @classmethod
    def of(cls, job: Job) -> dict:
        return {"id": job.pk, "url": reverse("api:job-detail", args=[job.pk]), "status": job.status}
