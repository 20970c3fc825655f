"""No query outlives its request: a statement timeout on the web processes' database connections.

The web entry points (config/wsgi.py, config/asgi.py) connect `limit_statements` to
connection_created, so every PostgreSQL connection a web worker opens runs its statements under
WEB_STATEMENT_TIMEOUT_MS: a runaway query is cancelled by the server (the request gets a 500), not
left running after the worker has given up on it. Management commands (imports, file exports,
migrations) never import those modules, so their long statements are not cut.

Behind pgbouncer in transaction mode a session SET would leak to other clients: set
WEB_STATEMENT_TIMEOUT_MS=0 there and give the web role its timeout in the database instead
(ALTER ROLE … SET statement_timeout).
"""
from django.conf import settings
from django.db.backends.signals import connection_created


def limit_statements(sender, connection, **kwargs) -> None:
    timeout = settings.WEB_STATEMENT_TIMEOUT_MS
    if connection.vendor == "postgresql" and timeout:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{int(timeout)}ms"])


def limit_web_statements() -> None:
    connection_created.connect(limit_statements, dispatch_uid="annotate-web-statement-timeout")
