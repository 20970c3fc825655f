"""REST API routes. The resources arrive with the API issue; the namespace is reserved now."""
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response

app_name = "api"


@api_view(["GET"])
def health(request):
    """Authenticated liveness check: proves auth and the database connection work."""
    from annotate.models import Project

    return Response({"status": "ok", "projects": Project.objects.visible_to(request.user).count()})


urlpatterns = [path("v1/health/", health, name="health")]
