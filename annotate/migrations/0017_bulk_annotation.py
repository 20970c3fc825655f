"""Bulk annotation from search (issue 15): the BulkOperation record (annotate/models/bulk_operation.py)."""
import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0016_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BulkOperation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(default=uuid.uuid4, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("query", models.TextField()),
                ("attributes", models.JSONField(blank=True, default=dict)),
                ("into", models.CharField(choices=[("layers", "Layers"), ("suggestions", "Suggestions")],
                                          max_length=12)),
                ("status", models.CharField(choices=[("applied", "Applied"), ("undone", "Undone")],
                                            default="applied", max_length=10)),
                ("counts", models.JSONField(default=dict)),
                ("layers", models.JSONField(blank=True, default=list)),
                ("articles", models.JSONField(blank=True, default=list)),
                ("undone_at", models.DateTimeField(blank=True, null=True)),
                ("undo_result", models.JSONField(blank=True, null=True)),
                ("created_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="bulk_operations", to=settings.AUTH_USER_MODEL)),
                ("entity", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                             related_name="+", to="annotate.entity")),
                ("label", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                            to="annotate.label")),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="bulk_operations", to="annotate.project")),
                ("undone_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["project", "-created_at"], name="bulk_operation_by_project")],
                "constraints": [models.UniqueConstraint(fields=("project", "client_id"),
                                                        name="bulk_operation_client_id")],
            },
        ),
    ]
