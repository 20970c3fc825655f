# Issue 15: claim clusters, their members and the reviewers' decisions (docs/claims.md).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0017_bulk_annotation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ClaimCluster',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField()),
                ('size', models.PositiveIntegerField()),
                ('articles', models.PositiveIntegerField(help_text='Distinct articles among the members.')),
                ('first_published', models.DateField(blank=True, null=True)),
                ('last_published', models.DateField(blank=True, null=True)),
                ('computed_at', models.DateTimeField()),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='claim_clusters', to='annotate.project')),
                ('representative', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='annotate.span')),
            ],
        ),
        migrations.CreateModel(
            name='ClaimLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('together', 'Together'), ('apart', 'Apart')], max_length=10)),
                ('decided_at', models.DateTimeField(auto_now_add=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('other', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotate.span')),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='claim_links', to='annotate.project')),
                ('span', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotate.span')),
            ],
        ),
        migrations.CreateModel(
            name='ClaimMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('annotation', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotate.annotation')),
                ('article', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotate.article')),
                ('cluster', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='members', to='annotate.claimcluster')),
                ('span', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='claim_membership', to='annotate.span')),
            ],
        ),
        migrations.AddIndex(
            model_name='claimcluster',
            index=models.Index(fields=['project', '-size', 'id'], name='claim_cluster_listed'),
        ),
        migrations.AddConstraint(
            model_name='claimcluster',
            constraint=models.CheckConstraint(condition=models.Q(('size__gte', 1)), name='claim_cluster_not_empty'),
        ),
        migrations.AddIndex(
            model_name='claimlink',
            index=models.Index(fields=['project', 'id'], name='claim_link_in_project'),
        ),
        migrations.AddConstraint(
            model_name='claimlink',
            constraint=models.UniqueConstraint(fields=('span', 'other'), name='one_claim_decision_per_pair'),
        ),
        migrations.AddConstraint(
            model_name='claimlink',
            constraint=models.CheckConstraint(condition=models.Q(('span', models.F('other')), _negated=True), name='claim_link_two_spans'),
        ),
        migrations.AddIndex(
            model_name='claimmember',
            index=models.Index(fields=['cluster', 'span'], name='claim_member_in_cluster'),
        ),
    ]
