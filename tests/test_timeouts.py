"""Web workers' database statements are cancelled after WEB_STATEMENT_TIMEOUT_MS; commands' are not."""
import subprocess
import sys

import pytest
from django.db import OperationalError, connection, transaction

from config.timeouts import limit_statements

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_a_runaway_statement_in_a_web_worker_is_cancelled(settings):
    settings.WEB_STATEMENT_TIMEOUT_MS = 200
    limit_statements(sender=None, connection=connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "200ms"
        with pytest.raises(OperationalError, match="statement timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(5)")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


def test_only_the_web_entry_points_limit_statements():
    """Importing the WSGI application connects the limit; a management command's process does not."""
    code = ("import django.db.backends.signals as s; from django.conf import settings; {before}"
            "print(any('web-statement-timeout' in str(r[0]) for r in s.connection_created.receivers))")
    def run(before):
        return subprocess.run([sys.executable, "-c", code.format(before=before)], capture_output=True, text=True,
                              env={"DJANGO_SETTINGS_MODULE": "config.settings_test", "PATH": "/usr/bin:/bin"},
                              check=True).stdout.strip()

    assert run("import django; django.setup(); ") == "False"
    assert run("import config.wsgi; ") == "True"
