"""Settings come from the environment and refuse to start insecurely."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"}}
    clean.update(env)
    code = "import config.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'])"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_has_a_development_key_and_sqlite_by_default():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "['127.0.0.1',", "'localhost']", "django.db.backends.sqlite3"]


def test_database_url_and_hosts_come_from_the_environment():
    result = load_settings(
        SECRET_KEY="x" * 50, DATABASE_URL="postgres://u@127.0.0.1:5432/db", ALLOWED_HOSTS="a.example,b.example"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "['a.example',", "'b.example']", "django.db.backends.postgresql"]


def test_a_malformed_boolean_fails_loudly():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be a boolean" in result.stderr


def test_migrations_match_the_models():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT, env=dict(os.environ, DEBUG="1"), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
