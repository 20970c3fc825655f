# Reserved for the queue's order (random, uncertainty): filled in by its change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotate", "0014_suggestions")]
    operations = []
