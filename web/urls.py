"""The annotator UI: My work (the landing page), the workspace, the next-article hook, account pages."""
from django.contrib.auth import views as auth_views
from django.urls import path

from .views import account, search, work, workspace

# The namespace keeps the name it had before the pages had an app of their own: templates, tests and
# redirects say "annotate:…".
app_name = "annotate"

urlpatterns = [
    path("", work.my_work, name="my-work"),
    path("projects/<slug:slug>/next/", work.next_article, name="next-article"),
    path("work/<id:pk>/", workspace.workspace, name="workspace"),
    path("projects/<slug:slug>/search/", search.search_page, name="search"),
    path("login/", auth_views.LoginView.as_view(template_name="annotate/registration/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/token/", account.regenerate_token, name="account-token"),
    path("account/password/", account.PasswordChange.as_view(), name="password-change"),
]
