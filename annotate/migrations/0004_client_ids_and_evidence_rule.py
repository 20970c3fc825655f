"""Client ids on layer items (a retried create is applied once), and each project's rule for stances
without evidence.

The client id is added without a default first: AddField with a callable default would give every
existing row the same value. Existing items keep NULL (allowed by the unique constraint); items made
from now on get the client's id, or one of their own.
"""
import uuid

from django.db import migrations, models


def client_id(**options):
    return models.UUIDField(blank=True, editable=False, null=True, **options)


class Migration(migrations.Migration):

    dependencies = [
        ("annotate", "0003_freeze_annotated_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="stance_evidence",
            field=models.CharField(
                choices=[
                    ("required", "required: a layer with a stance without evidence cannot be submitted"),
                    ("confirm", "expected: submitting a stance without evidence needs the annotator's confirmation"),
                ],
                default="confirm",
                help_text="What submitting a layer does about stances without evidence spans.",
                max_length=10,
            ),
        ),
        *[migrations.AddField(model_name=model, name="client_id", field=client_id())
          for model in ("span", "relation", "stance")],
        *[migrations.AlterField(model_name=model, name="client_id", field=client_id(default=uuid.uuid4))
          for model in ("span", "relation", "stance")],
        *[migrations.AddConstraint(
            model_name=model,
            constraint=models.UniqueConstraint(fields=("annotation", "client_id"),
                                               name=f"{model}_client_id_unique_in_layer"))
          for model in ("span", "relation", "stance")],
    ]
