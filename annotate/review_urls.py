"""Pages for reviewers and managers (views arrive with the review UI)."""
app_name = "review"

urlpatterns = []
