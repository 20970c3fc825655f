"""Who may do what in a project."""
from django.contrib.auth.models import AbstractBaseUser

from ..models import Membership, Project


def add_member(*, project: Project, user: AbstractBaseUser, role: str) -> tuple[Membership, bool]:
    """Make `user` a member with `role` (changing the role of an existing member). Returns (membership, created)."""
    if role not in Membership.Role.values:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Membership.Role.values)}")
    membership, created = Membership.objects.get_or_create(project=project, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership, created


def ensure_member(*, project: Project, user: AbstractBaseUser, role: str = Membership.Role.ANNOTATOR) -> None:
    """Make `user` a member if they are not one yet; an existing role is left as it is."""
    Membership.objects.get_or_create(project=project, user=user, defaults={"role": role})
