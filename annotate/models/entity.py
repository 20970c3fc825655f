"""Canonical sources: the person or body behind one or more SOURCE spans."""
from django.db import models

from .project import Project


class EntityQuerySet(models.QuerySet):
    def of_layer(self, annotation_id: int):
        """The sources one layer mentions or gives stances to.

        Their ids come from the layer's own rows, a UNION of two reads by the layer's indexes, and are
        then looked up by primary key. A single query joining through mentions OR held stances (with
        DISTINCT) scans every span of the corpus.
        """
        from .annotation import Span, Stance  # annotation.py imports this module: import at use

        # No "IS NOT NULL" on the ids: PostgreSQL would answer it from the entity index, walking every mention
        # of the corpus; a NULL in the list matches no entity anyway.
        mentioned = Span.objects.filter(annotation_id=annotation_id).values_list("entity_id")
        holding = Stance.objects.filter(annotation_id=annotation_id).values_list("holder_entity_id")
        return self.filter(pk__in=mentioned.order_by().union(holding.order_by()))


class EntityManager(models.Manager.from_queryset(EntityQuerySet)):
    def get_by_natural_key(self, project_slug, name):
        return self.get(project__slug=project_slug, name=name)


class Entity(models.Model):
    class Type(models.TextChoices):
        PERSON = "person"
        ORGANIZATION = "organization"
        GOVERNMENT = "government"
        COUNTRY = "country"
        MEDIA = "media", "media outlet"
        OTHER = "other"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="entities")
    name = models.CharField(max_length=300)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    description = models.CharField(
        max_length=500, blank=True, help_text='Role or affiliation, e.g. "expert in international relations".'
    )
    aliases = models.JSONField(
        default=list, blank=True, help_text='Other names, e.g. ["Bellouan", "the political analyst"].'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntityManager()

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="entity_name_unique_in_project")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.project.slug, self.name)

    natural_key.dependencies = ["annotate.project"]
