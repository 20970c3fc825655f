from django.contrib import admin
from django.urls import include, path

from . import converters  # noqa: F401 - registers <id:...> before the included url modules load

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # Reviewers and managers: review and adjudication, dashboards, stance map, source registry.
    path("", include("web.review_urls")),
    # The annotator UI: My work at /, the workspace, login and account pages.
    path("", include("web.urls")),
]
