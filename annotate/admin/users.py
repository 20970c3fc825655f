"""Django's user admin, with the user's project memberships inline."""
from django.contrib import admin
from django.contrib.auth import get_user_model

from ..models import Membership, Project
from .common import limit_choices

User = get_user_model()


class MembershipOfUserInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ["project", "role", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        limit_choices(formset.form, "project", Project.objects.all())
        return formset


# Extend whichever admin is registered for the user model (django's UserAdmin
# unless another app replaced it) rather than assuming its class.
_registered = admin.site.get_model_admin(User)
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(type(_registered)):
    inlines = [*type(_registered).inlines, MembershipOfUserInline]
