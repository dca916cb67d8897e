"""Settings, all from the environment (see docs/deploy.md for the list).

| variable | default | what |
| --- | --- | --- |
| DATABASE_URL | SQLite file var/rendezvous.sqlite3 | PostgreSQL in production |
| REDIS_URL | unset | cache, task queue (huey), rate limits, the built-in room's channel layer |
| SECRET_KEY | generated on first start into <RENDEZVOUS_VAR_DIR>/secret_key | signing; also the key OAuth tokens and meeting account secrets are encrypted with, unless RENDEZVOUS_ENCRYPTION_KEYS is set |
| SECRET_KEY_FALLBACKS | unset | comma-separated former keys: old signatures and encrypted tokens still read |
| RENDEZVOUS_ENCRYPTION_KEYS | unset | comma-separated Fernet keys, newest first, for OAuth tokens and meeting account secrets at rest |
| DEBUG | off | |
| RENDEZVOUS_BASE_URL | http://127.0.0.1:8000 (`serve`: the address it answers on) | absolute links in API answers and emails |
| ALLOWED_HOSTS | 127.0.0.1,localhost | comma-separated |
| RENDEZVOUS_DB_CONN_MAX_AGE | 600 | seconds a web or worker thread keeps its database connection (0: a new one per request) |
| RENDEZVOUS_BOOKING_RATE_LIMIT | 30/m | per client on booking creation; `off` disables it |
| RENDEZVOUS_SIGNIN_RATE_LIMIT | 5/10m | per client on "My bookings" sign-in links; `off` disables it |
| RENDEZVOUS_ADMIN_LOGIN_RATE_LIMIT | 5/15m | failed admin logins per username and client; `off` disables it |
| EMAIL_HOST ... EMAIL_USE_TLS | localhost:25 | outgoing mail |
| RENDEZVOUS_STUN_URLS | unset | built-in room: comma-separated `stun:host:port` URLs given to browsers |
| RENDEZVOUS_TURN_URLS | unset | built-in room: comma-separated `turn:`/`turns:` URLs of a coturn server |
| RENDEZVOUS_TURN_SECRET | unset | coturn's `static-auth-secret`: signs time-limited TURN credentials |
| RENDEZVOUS_TURN_TTL | 3600 | seconds a TURN credential stays valid (at least until the meeting ends) |
| SECURE_HSTS_SECONDS | 0 | HSTS max-age in production behind HTTPS (SECURE_HSTS_INCLUDE_SUBDOMAINS, SECURE_HSTS_PRELOAD: 1 to add them) |
| SECURE_SSL_REDIRECT | off | redirect plain HTTP to HTTPS (behind a proxy also RENDEZVOUS_BEHIND_PROXY=1) |
| RENDEZVOUS_ROOM_MAX_PARTICIPANTS | 6 | built-in room cap (peer-to-peer mesh); larger meetings need Jitsi or BigBlueButton |
| RENDEZVOUS_SIGNUP | closed | `open`: anyone may start a company (and its admin account) at /office/signup/ |
"""

import os
import secrets
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from rendezvous.core.queue import queue_id

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("RENDEZVOUS_VAR_DIR", BASE_DIR.parent.parent / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG")
# Published with the source of earlier releases, so anyone could sign with it.
_KNOWN_KEYS = frozenset({"dev-insecure-key-change-me-in-production-0123456789abcdef"})
SECRET_KEY_FILE = VAR_DIR / "secret_key"


def _stored_secret_key(path: Path) -> str:
    """The installation's key, made on first start. Every process of the installation
    (web, worker, management commands) reads the same file; two starting at once agree,
    because the file appears whole (a hard link to a finished file) or not at all."""
    if not path.exists():
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        except OSError as exc:
            raise ImproperlyConfigured(
                f"Cannot write a secret key into {path.parent} ({exc}): set SECRET_KEY."
            ) from exc
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process won: use its key
            else:
                print(
                    f"Rendezvous: generated a secret key in {path}. Keep this file and back "
                    "it up: every signed link depends on it.",
                    file=sys.stderr,
                )
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(
            f"{path} holds no usable secret key: remove it or set SECRET_KEY."
        )
    return key


_ENV_KEY = os.environ.get("SECRET_KEY", "").strip()
SECRET_KEY_FALLBACKS = [
    k.strip() for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]
if _KNOWN_KEYS & {_ENV_KEY, *SECRET_KEY_FALLBACKS}:
    raise ImproperlyConfigured(
        "SECRET_KEY or SECRET_KEY_FALLBACKS holds the published development key: links "
        "signed with it can be forged. Unset SECRET_KEY to use a generated one."
    )
SECRET_KEY = _ENV_KEY or _stored_secret_key(SECRET_KEY_FILE)
# Fernet keys for secrets at rest (core.crypto: OAuth tokens, provider keys); unset: derived from SECRET_KEY.
RENDEZVOUS_ENCRYPTION_KEYS = [
    k for k in os.environ.get("RENDEZVOUS_ENCRYPTION_KEYS", "").split(",") if k
]
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
BASE_URL = os.environ.get("RENDEZVOUS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    # The admin, for superusers only (rendezvous.core.admin_site).
    "rendezvous.core.admin_config.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "huey.contrib.djhuey",
    "rendezvous.core",
    "rendezvous.companies",
    "rendezvous.catalog",
    "rendezvous.availability",
    "rendezvous.bookings",
    "rendezvous.payments",
    "rendezvous.api",
    "rendezvous.notifications",
    "rendezvous.meetings",
    "rendezvous.rooms",
    "rendezvous.public",
    # The back office at /office/; before allauth, so its templates dress allauth's pages.
    "rendezvous.dashboard",
    # The demo company and `rendezvous serve` (they use every app above).
    "rendezvous.demo",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_ratelimit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Who acts, for the audit log (rendezvous.core.audit).
    "rendezvous.core.audit.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # SECURE_CSP below for every page (the admin, the API docs ...); the public pages
    # set the same policy themselves, the embeds with their company's frame-ancestors
    # (rendezvous.core.security, rendezvous.public.security).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "rendezvous.urls"
ASGI_APPLICATION = "rendezvous.asgi.application"
WSGI_APPLICATION = "rendezvous.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: SQLite (WAL, IMMEDIATE transactions so that check-and-insert serialises
# writers) unless DATABASE_URL says otherwise.
SQLITE_PATH = VAR_DIR / "rendezvous.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}"
# Persistent connections: opening one costs a request about a millisecond on SQLite (the
# PRAGMAs, Django's SQL functions) and several on PostgreSQL. The web threads and the
# worker threads are a fixed pool, so this holds a bounded number open; each request
# checks its connection before use (CONN_HEALTH_CHECKS) and a broken one is replaced.
_db = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=int(os.environ.get("RENDEZVOUS_DB_CONN_MAX_AGE", "600")),
    conn_health_checks=True,
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    # Tests run on a real file too (not :memory:): threads need to share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["ATOMIC_REQUESTS"] = False
DATABASES = {"default": _db}
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Rate limits must be shared by every web process: a database cache works on one
    # machine without Redis (and the locmem cache would not be shared across processes).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "rendezvous_cache",
        }
    }

# Background work: Django's tasks API on huey (SQLite file, or Redis with REDIS_URL).
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}
_huey_immediate = env_bool("RENDEZVOUS_TASKS_IMMEDIATE")
# One queue per database (rendezvous.core.queue.queue_id): two installations on one
# machine, or on one Redis, never take each other's tasks.
_queue_id = queue_id(_db)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": f"rendezvous-{_queue_id}",
        "url": REDIS_URL,
        "immediate": _huey_immediate,
    }
else:
    HUEY = {
        "huey_class": "rendezvous.core.queue.SqliteHuey",
        "name": f"rendezvous-{_queue_id}",
        "filename": str(VAR_DIR / f"huey-{_queue_id}.sqlite3"),
        "immediate": _huey_immediate,
    }

# The built-in video room's signaling (rendezvous.rooms): Channels, in memory on one
# machine, Redis once several web processes must see one another's sockets.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "rendezvous:channels"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _urls(name: str) -> list[str]:
    return [u.strip() for u in os.environ.get(name, "").split(",") if u.strip()]


# ICE servers for the built-in room: STUN finds a browser's public address, TURN relays
# media when no direct path exists (docs/providers.md). TURN credentials are minted per
# participant in coturn's REST style from the shared secret, never stored.
ROOM_STUN_URLS = _urls("RENDEZVOUS_STUN_URLS")
ROOM_TURN_URLS = _urls("RENDEZVOUS_TURN_URLS")
ROOM_TURN_SECRET = os.environ.get("RENDEZVOUS_TURN_SECRET", "")
ROOM_TURN_TTL = int(os.environ.get("RENDEZVOUS_TURN_TTL", "3600"))
ROOM_MAX_PARTICIPANTS = int(os.environ.get("RENDEZVOUS_ROOM_MAX_PARTICIPANTS", "6"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("da", _("Danish")),
    ("de", _("German")),
    ("ro", _("Romanian")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Security: CSRF on; only the embeddable booking pages may be framed (they opt out per view).
X_FRAME_OPTIONS = "DENY"
# A form sent without its token gets our 403 page, in the visitor's language.
CSRF_FAILURE_VIEW = "rendezvous.public.errors.csrf_failure"
# Our own scripts and styles only, no inline code, framed by nobody: the admin, the API
# docs (django-ninja's Swagger UI, served by us) and the booking site all keep to it.
CONTENT_SECURITY_POLICY = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    # The ALTCHA widget's workers are our own files (its "external" build): no blob:.
    "worker-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
# Django's debug pages (DEBUG on) use inline styles and scripts.
SECURE_CSP = {} if DEBUG else CONTENT_SECURITY_POLICY
# Production behind HTTPS (docs/deploy.md): HSTS and the redirect are off unless set.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Messages can carry a one-time secret (a new API token): keep them server-side.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_COOKIE_HTTPONLY = False
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("RENDEZVOUS_BEHIND_PROXY") else None
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BASE_URL.startswith("https://")

# Outgoing mail (Django 6.1 MAILERS), configured from the EMAIL_* environment variables.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "timeout": 15,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Rendezvous <bookings@localhost>")

# Each limit has its own setting (rendezvous.core.ratelimit): `off` for one keeps the
# others counting, so switching off the booking limit for a load test leaves the
# sign-in throttles on.
BOOKING_RATE_LIMIT = os.environ.get("RENDEZVOUS_BOOKING_RATE_LIMIT", "30/m").strip().lower()
SIGNIN_RATE_LIMIT = os.environ.get("RENDEZVOUS_SIGNIN_RATE_LIMIT", "5/10m").strip().lower()
ADMIN_LOGIN_RATE_LIMIT = (
    os.environ.get("RENDEZVOUS_ADMIN_LOGIN_RATE_LIMIT", "5/15m").strip().lower()
)

# Staff sign-in (django-allauth) for the back office: by username or email, TOTP and
# recovery codes, no self sign-up (an admin invites staff), allauth's rate limits on
# failed sign-ins and password resets (the shared cache, as django-ratelimit), emails
# through our outbox (rendezvous.dashboard.adapter).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/office/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/office/"
ACCOUNT_ADAPTER = "rendezvous.dashboard.adapter.OfficeAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if BASE_URL.startswith("https://") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Rendezvous"

# Self sign-up of new companies at /office/signup/ (dashboard.first_run): `open` for a
# hosted service whose customers are businesses; `closed` (the default) leaves adding
# companies to operators (the admin, `rendezvous create_company`).
SIGNUP = os.environ.get("RENDEZVOUS_SIGNUP", "closed").strip().lower()
if SIGNUP not in ("open", "closed"):
    raise ImproperlyConfigured("RENDEZVOUS_SIGNUP is `open` or `closed`.")

# Staff are told when an online meeting starting within this many hours still has no link.
LINK_MISSING_HOURS = int(os.environ.get("RENDEZVOUS_LINK_MISSING_HOURS", "24"))

# Largest range of days the slots endpoint answers for (docs/api.md).
SLOTS_MAX_DAYS = 62

# Zoom's REST API and OAuth hosts (a local fake stands in for them in tests).
ZOOM_API_BASE = os.environ.get("ZOOM_API_BASE", "https://api.zoom.us/v2").rstrip("/")
ZOOM_OAUTH_BASE = os.environ.get("ZOOM_OAUTH_BASE", "https://zoom.us").rstrip("/")
# Stripe's API host (payments.providers.stripe; a local fake stands in for it in tests).
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
# Microsoft Graph / Entra ID and Google's Calendar API and OAuth hosts (fakes in tests).
MS_GRAPH_BASE = os.environ.get("MS_GRAPH_BASE", "https://graph.microsoft.com/v1.0").rstrip("/")
MS_LOGIN_BASE = os.environ.get("MS_LOGIN_BASE", "https://login.microsoftonline.com").rstrip("/")
GOOGLE_API_BASE = os.environ.get("GOOGLE_API_BASE", "https://www.googleapis.com").rstrip("/")
GOOGLE_OAUTH_BASE = os.environ.get("GOOGLE_OAUTH_BASE", "https://oauth2.googleapis.com").rstrip("/")
GOOGLE_AUTH_BASE = os.environ.get("GOOGLE_AUTH_BASE", "https://accounts.google.com").rstrip("/")
# BigBlueButton API checksums: sha256 (BBB 2.5+) or sha1 for older servers.
BBB_CHECKSUM_ALGORITHM = os.environ.get("RENDEZVOUS_BBB_CHECKSUM", "sha256")

# A production installation: the demo, with its published admin password, is refused
# there (rendezvous.demo.seed).
PRODUCTION = env_bool("RENDEZVOUS_PRODUCTION")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
# The task worker logs two lines per task at INFO, and the periodic ones run every
# minute: at the default level that buried everything else. LOG_LEVEL=DEBUG shows them.
_TASK_LOG_LEVEL = "DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "huey": {"level": _TASK_LOG_LEVEL},
        "django.tasks": {"level": _TASK_LOG_LEVEL},
        # httpx logs every request URL at INFO; provider URLs can name a calendar or a
        # user's email (no personal data in logs).
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# django-ratelimit: the database cache (one machine, no Redis) has no atomic increment,
# so a burst from one client may pass the limit by a few requests there; with REDIS_URL
# the count is exact. Good enough for abuse protection, so its check is silenced.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "default"
