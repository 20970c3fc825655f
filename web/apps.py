from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages: the annotator's (My work, the workspace, account) and the reviewer's and manager's
    (review and gold, dashboards, stance map, source registry). They read through the domain (annotate)
    and start from the API's JSON (api.payloads): annotate ← api ← web, never the other way."""

    name = "web"
    verbose_name = "Pages"
