"""Settings for the test suite: the real settings with a throwaway key and a fast hasher."""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
# The test client speaks plain HTTP; production's HTTPS-only defaults are tested on their own.
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "TOKEN_AUTH_REQUIRE_HTTPS",
             "COMPRESS_STATIC"):
    os.environ.setdefault(name, "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# Jobs' files and live progress in a directory of this run's own (workers started by tests inherit it).
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="annotate-test-files-"))
os.environ.setdefault("JOBS_CACHE_DIR", tempfile.mkdtemp(prefix="annotate-test-jobs-"))
os.environ.setdefault("JOB_BEAT_SECONDS", "0.2")
# RQ tests use a Redis database of their own, apart from a development server's or a benchmark's queues.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("JOBS_QUEUE", f"tests-{os.getpid()}")

from config.settings import *  # noqa: E402, F403 - the base settings, read after the environment above

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# A second alias mirroring the default database, so tests can prove which reads go to a replica.
# Only tests that turn READ_REPLICA_ALIAS on (override_settings) use it.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405 - from the base settings
READ_REPLICA_ALIAS = None
