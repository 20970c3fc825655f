"""Settings for the claim and stance annotation tool.

Everything that differs between a laptop and a deployment comes from the
environment, read through the small typed helpers below so that a malformed
value fails loudly at start-up instead of half-working.
"""
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a fixed key is harmless on a laptop and keeps sessions
    # valid across restarts of `make run`.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "annotate",
    "api",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app server itself (no CDN, no separate file server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # counts failures and refuses locked accounts and addresses
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling, for every login form (admin, annotator UI): after 10 failures the
# username and the address are each locked for an hour, the right password included.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))  # load balancers in front, to find the client

# Production defaults are secure by themselves: with DEBUG off, HTTPS is enforced
# (redirect, HSTS, secure cookies, tokens only over HTTPS). Each can be turned off
# explicitly, e.g. SECURE_SSL_REDIRECT=0 for a plain-HTTP benchmark on loopback.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
TOKEN_AUTH_REQUIRE_HTTPS = env_bool("TOKEN_AUTH_REQUIRE_HTTPS", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):  # behind a TLS-terminating load balancer that sets it
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy: scripts only from this site's own files, never inline, so text that
# slipped through as markup still could not run. Inline styles stay allowed (the admin uses them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several annotators, an import and an export at once must not meet
    # "database is locked": WAL lets readers run beside the writer, IMMEDIATE
    # takes the write lock at BEGIN (so a transaction never has to upgrade a
    # read lock and deadlock), and the busy timeout makes writers queue.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# A read replica for exports, dashboards and agreement (see config/routers.py).
READ_REPLICA_ALIAS = None
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    READ_REPLICA_ALIAS = "replica"
DATABASE_ROUTERS = ["config.routers.PrimaryReplicaRouter"]
# Web workers' statements are cancelled after this long (config/timeouts.py); 0 turns it off. A page or
# call that needs longer belongs in a background job or a file export, not in a request.
WEB_STATEMENT_TIMEOUT_MS = int(os.environ.get("WEB_STATEMENT_TIMEOUT_MS", "30000"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise looks here; `collectstatic` fills it for production
if not DEBUG and env_bool("COMPRESS_STATIC", True):
    # Hashed, compressed files after `collectstatic`; whitenoise serves them with far-future caching.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
    }

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

LOGIN_URL = "annotate:login"
LOGIN_REDIRECT_URL = "annotate:my-work"
LOGOUT_REDIRECT_URL = "annotate:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HttpsTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: every endpoint needs a logged-in user; views narrow further.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Claim and stance annotation API",
    "DESCRIPTION": "Projects, articles, assignments, annotation layers (spans, relations, stances) and exports. "
                   "Offsets are Unicode code points into the article text, end exclusive.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from drf-spectacular-sidecar, served by this project: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "annotate.models.Assignment.Status",
        "AnnotationStatusEnum": "annotate.models.Annotation.Status",
        "UndefinedReasonEnum": "annotate.agreement.undefined.REASONS",
    },
}

# Upper bounds that keep one request, one upload or one layer from exhausting the server.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", str(10 * 1024 * 1024)))
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
MAX_ARTICLE_CHARS = int(os.environ.get("MAX_ARTICLE_CHARS", "200000"))  # code points of one article's text
MAX_SPANS_PER_ANNOTATION = int(os.environ.get("MAX_SPANS_PER_ANNOTATION", "5000"))

# Background jobs (annotate/jobs/) on Django's Tasks API (the django-tasks backport until Django 6).
# TASKS_BACKEND=database (default): the task queue is a table in this database and `manage.py db_worker`
# runs the jobs: nothing else to install. TASKS_BACKEND=rq: RQ on Redis (REDIS_URL), `manage.py rqworker`
# on as many machines as needed (docs/jobs.md). TASKS_BACKEND=immediate runs each job inside the request
# that starts it: for a shell session, never for a server.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, got {TASKS_BACKEND!r}")
# The queue the jobs go to: one per deployment (tests take one of their own, apart from anything else
# that shares the Redis server).
JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "default")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": [JOBS_QUEUE]}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
# A job may run this long before RQ stops it (the database worker has no limit).
JOB_TIMEOUT_SECONDS = int(os.environ.get("JOB_TIMEOUT_SECONDS", str(6 * 3600)))
RQ_QUEUES = {JOBS_QUEUE: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": JOB_TIMEOUT_SECONDS}}
RQ = {"JOB_CLASS": "django_tasks_rq.Job"}  # the Tasks API's job class, for `manage.py rqworker` too
# A running job tells it is alive every JOB_BEAT_SECONDS; one silent for JOB_STALE_SECONDS has lost its
# worker and is marked failed by the next reader (its work, all-or-nothing, was rolled back with it).
JOB_BEAT_SECONDS = float(os.environ.get("JOB_BEAT_SECONDS", "1"))
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", "60"))
# Finished jobs, their results and their files are deleted this many days after they end (clean_jobs).
JOB_RETENTION_DAYS = int(os.environ.get("JOB_RETENTION_DAYS", "14"))
# Running jobs' progress, heartbeats and cancel requests: shared by web processes and workers. Redis when
# the jobs run on RQ, else files under var/ (every process of a one-machine deployment sees them).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "jobs": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": f"jobs-{JOBS_QUEUE}"}
        if TASKS_BACKEND == "rq" else
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
         "LOCATION": os.environ.get("JOBS_CACHE_DIR", str(VAR_DIR / "jobs-cache")),
         "OPTIONS": {"MAX_ENTRIES": 100_000}}
    ),
}
# Uploaded imports waiting for their job, and snapshots: files in the default storage, under MEDIA_ROOT.
# Several machines need a volume mounted here on each (snapshots are written and served as local files).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(VAR_DIR / "files")))
# Webhooks go to public addresses only; a deployment whose pipeline listens on a private network lists it.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# External recommenders (docs/suggestions-protocol.md) usually run beside the tool, on localhost or a
# private network: private addresses are allowed unless this is turned off.
RECOMMENDER_ALLOW_PRIVATE = env_bool("RECOMMENDER_ALLOW_PRIVATE", True)
# Claim matching (docs/claims.md): the cosine similarity from which two claims say the same thing, and an
# installed sentence-transformers model to compare them with instead of TF-IDF (never downloaded; empty: none).
CLAIM_SIMILARITY_THRESHOLD = float(os.environ.get("CLAIM_SIMILARITY_THRESHOLD", "0.55"))
CLAIM_EMBEDDING_MODEL = os.environ.get("CLAIM_EMBEDDING_MODEL", "")
# A delivery is tried this many times in all (backoff 30 s, 2 min, 10 min, 1 h, 6 h between tries), and
# each try waits this long for the receiver to connect and answer.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "6"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # 4xx answers (a stale version's 409, a validation 400) are the API working as designed, not warnings.
    "loggers": {"django.request": {"level": "ERROR"}},
}
