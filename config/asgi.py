import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from config.timeouts import limit_web_statements  # noqa: E402 - needs the settings the line above loads

limit_web_statements()
