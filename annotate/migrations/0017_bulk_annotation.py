# Reserved for issue 15 (filled in by its change).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotate", "0016_search")]
    operations = []
