"""Production defaults, login throttling, HTTPS-only tokens, and the Content-Security-Policy."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test.utils import override_settings
from django.urls import reverse

from .factories import api_client, make_user

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k3y-" + "Zq8!rT2@vL9#xW4$" * 4, "ALLOWED_HOSTS": "annotate.example.org",
              "DATABASE_URL": "sqlite:////tmp/annotate-deploy-check.sqlite3"}


def run_manage(*args, **env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "TOKEN_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                                  "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPRESS_STATIC"))}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_defaults_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_defaults_are_secure_and_each_can_be_turned_off_explicitly():
    code = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.TOKEN_AUTH_REQUIRE_HTTPS)")
    secure = run_manage("shell", "-c", code, **PRODUCTION)
    assert secure.stdout.split()[-5:] == ["True"] * 5, secure.stderr
    relaxed = run_manage("shell", "-c", code, **PRODUCTION, SECURE_SSL_REDIRECT="0")
    assert relaxed.stdout.split()[-5:] == ["False", "True", "True", "True", "True"], relaxed.stderr
    failing = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_SSL_REDIRECT="0")
    assert failing.returncode != 0 and "security.W008" in failing.stdout + failing.stderr


@pytest.mark.django_db
@override_settings(TOKEN_AUTH_REQUIRE_HTTPS=True)
def test_tokens_are_refused_over_plain_http_in_production():
    client = api_client(make_user("scripter"))
    assert client.get(reverse("api:project-list")).status_code == 401
    assert client.get(reverse("api:project-list"), secure=True).status_code == 200


@pytest.mark.django_db
def test_a_revoked_token_no_longer_works():
    from rest_framework.authtoken.models import Token

    user = make_user("scripter")
    client = api_client(user)
    assert client.get(reverse("api:project-list")).status_code == 200
    Token.objects.filter(user=user).delete()
    assert client.get(reverse("api:project-list")).status_code == 401


@pytest.mark.django_db
def test_login_is_locked_after_ten_failures_right_password_included(client):
    make_user("victim", password="correct horse battery", is_staff=True)
    url = reverse("admin:login")
    for _ in range(10):
        client.post(url, {"username": "victim", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    locked = client.post(url, {"username": "victim", "password": "correct horse battery"}, REMOTE_ADDR="10.0.0.2")
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    # The address is locked too, whoever it tries next.
    make_user("other", password="another good passphrase", is_staff=True)
    blocked = client.post(url, {"username": "other", "password": "another good passphrase"}, REMOTE_ADDR="10.0.0.1")
    assert blocked.status_code in (403, 429)


@pytest.mark.django_db
def test_a_successful_login_still_works(client):
    make_user("staffer", password="correct horse battery", is_staff=True)
    response = client.post(reverse("admin:login"), {"username": "staffer", "password": "correct horse battery"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/login/", "/api/docs/"])
def test_pages_carry_a_csp_without_inline_scripts(client, url):
    policy = client.get(url).headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    assert "frame-ancestors 'none'" in policy
