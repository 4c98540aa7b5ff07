"""Django settings for Baton, read from the environment.

Everything a deployment changes is an environment variable (see README "Configuration");
the defaults give a working single-machine install with SQLite and no Redis.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("BATON_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("BATON_DEBUG", False)
# Public (it is in the source): fine on a laptop, refused behind a TLS proxy (see below).
INSECURE_SECRET_KEY = "baton-insecure-dev-key-set-SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_SECRET_KEY
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    # Only for its templates and static files: /api/v1/docs loads Swagger UI from Baton
    # itself, not from a CDN, so the docs work offline.
    "ninja",
    "baton.core",
    "baton.agents",
    "baton.whatsapp",
    "baton.conversations",
    "baton.routing",
    "baton.sla",
    "baton.dashboard",
    "baton.bots",
    "baton.assist",
    "baton.realtime",
    "baton.api",
    "baton.web",
    "baton.simulator",
    "baton.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Near the top, so an error under /api/ from any layer below keeps the API's shape.
    "baton.api.errors.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "baton.web.middleware.MediaOriginMiddleware",
    # Last, as django-axes requires: it turns a lockout into the login page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "baton.urls"
ASGI_APPLICATION = "baton.asgi.application"
AUTH_USER_MODEL = "agents.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:inbox"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'baton.sqlite3'}"
# Persistent connections: reconnecting per request costs more than the request itself.
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "baton.core.db.sqlite"
    _db["OPTIONS"] = {
        # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing on lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not :memory:, so that tests with threads and live servers use real,
    # separate connections like production does.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = _db["ENGINE"].endswith("postgresql")
IS_SQLITE = _db["ENGINE"] == "baton.core.db.sqlite"

# --- Channels ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # channels-redis waits for messages with BZPOPMIN of 5 s; redis-py
                        # 6+ gives every read a 5 s socket timeout by default, so each wait
                        # raced the timeout and dropped the WebSocket. Reads may block well
                        # past the BZPOPMIN; a dead server is found by keepalive and PING.
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "health_check_interval": 15,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background tasks -------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Every worker refreshes a heartbeat this often; one not seen for the lease is dead: its
# RUNNING tasks are re-queued, and /healthz stops counting it (see core.actions).
BATON_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("BATON_WORKER_HEARTBEAT_SECONDS", "5"))
BATON_WORKER_LEASE_SECONDS = float(os.environ.get("BATON_WORKER_LEASE_SECONDS", "30"))
# A task whose worker died under it this many times is failed instead of re-queued.
BATON_TASK_MAX_ATTEMPTS = int(os.environ.get("BATON_TASK_MAX_ATTEMPTS", "3"))

# --- Slow and large requests (see core.request_limits) -----------------------------------------
# Bodies are read in full on the event loop before a request thread is taken. The cap must
# stay above Meta's 3 MB webhook payloads; 16 MiB is WhatsApp's limit for video and audio.
BATON_MAX_REQUEST_BYTES = int(os.environ.get("BATON_MAX_REQUEST_BYTES", str(16 * 1024 * 1024)))
# 408 when no body byte arrives for this long, or the whole body takes longer than this.
BATON_REQUEST_BODY_IDLE_SECONDS = float(os.environ.get("BATON_REQUEST_BODY_IDLE_SECONDS", "10"))
BATON_REQUEST_BODY_TIMEOUT_SECONDS = float(
    os.environ.get("BATON_REQUEST_BODY_TIMEOUT_SECONDS", "120")
)
# A connection whose request headers are not complete after this long is closed.
BATON_HTTP_HEADER_TIMEOUT_SECONDS = float(os.environ.get("BATON_HTTP_HEADER_TIMEOUT_SECONDS", "10"))

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Another origin (e.g. https://media.example.com, pointed at this same Baton) that serves
# customers' and agents' files, so that no file ever shares an origin with the app.
BATON_MEDIA_ORIGIN = os.environ.get("BATON_MEDIA_ORIGIN", "").strip().rstrip("/")
if BATON_MEDIA_ORIGIN and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(urlsplit(BATON_MEDIA_ORIGIN).hostname or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- WhatsApp Cloud API -----------------------------------------------------------------------
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_API_BASE_URL = os.environ.get(
    "WHATSAPP_API_BASE_URL", "https://graph.facebook.com/v23.0"
).rstrip("/")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_ACCESS_TOKEN = os.environ.get("WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_HTTP_TIMEOUT = float(os.environ.get("WHATSAPP_HTTP_TIMEOUT", "15"))
# Outbound retry policy: attempt n waits base * 4**(n-1) seconds (Meta suggests 4^X).
BATON_SEND_MAX_ATTEMPTS = int(os.environ.get("BATON_SEND_MAX_ATTEMPTS", "6"))
BATON_SEND_RETRY_BASE_SECONDS = float(os.environ.get("BATON_SEND_RETRY_BASE_SECONDS", "2"))
# A send whose outcome is unknown (process died or the response was lost after the
# request went out) waits this long for a status webhook before it is shown as failed.
BATON_SEND_UNCERTAIN_AFTER_SECONDS = int(
    os.environ.get("BATON_SEND_UNCERTAIN_AFTER_SECONDS", "120")
)
# Presence timeouts for agents using the web app (see agents.tasks.do_expire_presence).
BATON_AWAY_AFTER_SECONDS = int(os.environ.get("BATON_AWAY_AFTER_SECONDS", "900"))
BATON_OFFLINE_AFTER_SECONDS = int(os.environ.get("BATON_OFFLINE_AFTER_SECONDS", "120"))

# /metrics (Prometheus) answers 404 unless a token is set; then `Authorization: Bearer <token>`.
BATON_METRICS_TOKEN = os.environ.get("BATON_METRICS_TOKEN", "").strip()
# --- Assist: local intent model, reply suggestions, language (see docs/assist.md) ----------
# Everything runs in Baton's processes on the CPU; nothing leaves the machine unless
# BATON_ASSIST_LLM_URL names a drafting endpoint (off by default).
# With no model file yet, the worker trains one (seconds of CPU, once) at first start and
# before a first classification; 0 leaves messages unclassified until `baton assist train`.
BATON_ASSIST_AUTOTRAIN = os.environ.get("BATON_ASSIST_AUTOTRAIN", "1") != "0"
# Below this probability the intent is "other" and routing behaves as without assist.
BATON_ASSIST_THRESHOLD = float(os.environ.get("BATON_ASSIST_THRESHOLD", "0.3"))
# assist.queries.is_thanks (SLA "needs no answer") wants more certainty than routing.
BATON_ASSIST_THANKS_THRESHOLD = float(os.environ.get("BATON_ASSIST_THANKS_THRESHOLD", "0.8"))
# A detected language is written to conversation.language only above this probability.
BATON_ASSIST_LANGUAGE_THRESHOLD = float(os.environ.get("BATON_ASSIST_LANGUAGE_THRESHOLD", "0.9"))
# Reply suggestions: past (customer message, reply) pairs kept per team in memory, and how
# often a team's index checks for new replies.
BATON_ASSIST_INDEX_PAIRS = int(os.environ.get("BATON_ASSIST_INDEX_PAIRS", "100000"))
BATON_ASSIST_INDEX_SECONDS = float(os.environ.get("BATON_ASSIST_INDEX_SECONDS", "60"))
# Optional drafting provider: an OpenAI-compatible server on your own network, e.g.
# http://127.0.0.1:11434 (Ollama) or http://127.0.0.1:8080 (llama.cpp). Empty: off.
BATON_ASSIST_LLM_URL = os.environ.get("BATON_ASSIST_LLM_URL", "").strip()
BATON_ASSIST_LLM_MODEL = os.environ.get("BATON_ASSIST_LLM_MODEL", "llama3.2")
BATON_ASSIST_LLM_API_KEY = os.environ.get("BATON_ASSIST_LLM_API_KEY", "")
BATON_ASSIST_LLM_TIMEOUT = float(os.environ.get("BATON_ASSIST_LLM_TIMEOUT", "30"))

# --- Sign-in throttling (django-axes) ---------------------------------------------------------
# Counted per username *and* address: a guesser is stopped without letting anyone lock a
# colleague out from elsewhere. Admins unlock with `baton axes_reset_username NAME` or by
# deleting the access attempt in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Every failed sign-in is kept (admin: "Access failure logs") and logged by the "axes" logger.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The log line names the address (what a firewall acts on) but not the username, which
# people sometimes type their password into; passwords are never logged.
AXES_SENSITIVE_PARAMETERS = ["username"]
AXES_LOCKOUT_CALLABLE = "baton.web.login.locked_out_response"

# --- Behind a TLS-terminating proxy -----------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BATON_BEHIND_TLS_PROXY = env_bool("BATON_BEHIND_TLS_PROXY", False)
# Addresses whose X-Forwarded-For / X-Forwarded-Proto `baton serve` believes (TLS-proxy mode
# only; comma-separated addresses or networks). Nobody else can choose their client address.
BATON_TRUSTED_PROXIES = os.environ.get("BATON_TRUSTED_PROXIES", "127.0.0.1")
if BATON_BEHIND_TLS_PROXY:
    if SECRET_KEY == INSECURE_SECRET_KEY:
        raise ImproperlyConfigured(
            "BATON_BEHIND_TLS_PROXY is on but SECRET_KEY is not set: refusing to sign sessions"
            " with the public development key. Set SECRET_KEY to a long random value."
        )
    # The proxy must set this header itself (replacing any sent by the client), and Baton
    # must be reachable only through it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Probes inside the network and Meta's signed webhook need no redirect (a redirected
    # POST would lose its body anyway).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^webhooks/whatsapp$"]
    # A year, the common production value: the header only reaches browsers over working
    # HTTPS, and BATON_HSTS_SECONDS=300 is there for a first trial.
    SECURE_HSTS_SECONDS = int(os.environ.get("BATON_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BATON_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("BATON_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is the domain owner's near-irreversible decision (browsers ship the
        # list); software must not make it by default, so its reminder is silenced.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "baton": {"handlers": ["console"], "level": os.environ.get("BATON_LOG_LEVEL", "INFO")},
        # One line per failed sign-in and per lockout (credentials cleansed by axes).
        "axes": {"handlers": ["console"], "level": "WARNING"},
    },
}
