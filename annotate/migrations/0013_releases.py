from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotate", "0012_withdrawal_index")]
    operations = []
