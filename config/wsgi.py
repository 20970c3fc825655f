import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.timeouts import limit_web_statements  # noqa: E402 - needs the settings the line above loads

limit_web_statements()
