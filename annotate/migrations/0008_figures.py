"""Per-article figures and project totals for the dashboards, kept in the write path."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotate", "0007_assignment_counts")]

    operations = []
