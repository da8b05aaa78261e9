"""Settings for the action-plan progress tracker.

Everything that differs between a laptop and production comes from environment variables:
DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, REDIS_URL (README.md, "Settings"). With none of
them set, the app runs on a SQLite file in the project folder, in debug mode, on 127.0.0.1.
`make serve` runs it in production mode (shizuoka_dx/serve.py).
"""

import os
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shizuoka_dx.env import (
    env_bool,
    env_choice,
    env_decimal,
    env_int,
    env_int_list,
    env_list,
    env_site_url,
    parse_database_url,
    parse_redis_url,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "環境変数 SECRET_KEY が設定されていません。DEBUG=false では、推測できない長い文字列"
            "（50 文字以上）を指定してください。"
        )
    SECRET_KEY = "local-development-only-not-secret"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
if not DEBUG and not os.environ.get("ALLOWED_HOSTS", "").strip():
    raise ImproperlyConfigured(
        "環境変数 ALLOWED_HOSTS が設定されていません。DEBUG=false では、このサービスを開く"
        "ホスト名をカンマ区切りで指定してください（例: ALLOWED_HOSTS=dx.city.example.jp）。"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "shizuoka_dx.apps.AxesConfig",
    "csp",
    "import_export",
    "django_tasks",
    "shizuoka_dx.apps.TasksDatabaseConfig",
    "priorities",
    "kpis",
    "systems",
    "pdca",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (hashed names, gzip/brotli, cached a year) answered before anything else runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that public pages (the same for everyone) get no session cookie.
    "shizuoka_dx.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # An empty 405 (a GET to a form-only address) becomes our Japanese page.
    "shizuoka_dx.middleware.JapaneseErrorPagesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's middleware, with the header built once rather than for every response.
    "shizuoka_dx.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Keep AxesMiddleware last (django-axes' instruction).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling: after 10 failures for one user name from one address, further attempts get
# exactly the answer a wrong password gets, for an hour. A successful login resets the count.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shizuoka_dx.security.locked_out"
AXES_VERBOSE = False

# Content-Security-Policy: only our own scripts (plotly.js is served from our static files).
# Inline style attributes stay allowed for plotly's drawing and the progress bars' widths.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "shizuoka_dx.urls"

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
            "builtins": ["shizuoka_dx.templatetags.display", "kpis.templatetags.grades"],
        },
    },
]

WSGI_APPLICATION = "shizuoka_dx.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
DATABASES = {
    "default": parse_database_url(DATABASE_URL, base_dir=BASE_DIR)
    if DATABASE_URL
    else sqlite_database(BASE_DIR / "db.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Japanese for installed packages that ship none (django-import-export in the admin).
LOCALE_PATHS = [BASE_DIR / "shizuoka_dx" / "locale"]
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic gathers them (`make serve` runs it); WhiteNoise serves them from there.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "shizuoka_dx.staticfinders.PlotlyFinder",
]
# In production every static file gets its content's hash in its name (css/site.1a2b3c4d5e6f.css)
# and a gzip and a brotli copy; WhiteNoise serves those with a year's Cache-Control. In
# development (and in tests) files keep their names and WhiteNoise reads them from the finders
# on each request, so an edited stylesheet shows at once.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_AUTOREFRESH = DEBUG
# Only the hashed copies are kept (and compressed): pages name files through {% static %}.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_USE_FINDERS = DEBUG

# The cache: Redis when REDIS_URL is set (shared by every app server), otherwise this process's
# memory. Sessions are kept in the database either way.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHES = {
    "default": parse_redis_url(REDIS_URL)
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "public:index"

# Sessions live in the database, so any app server can answer any request (no sticky sessions).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 1800
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "shizuoka_dx.security.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers probe the health check over plain HTTP: answer it rather than redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Uploaded actuals files wait in the database between "preview" and "confirm" (pdca/uploads.py),
# so any app server can answer the confirmation.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work (README, "Background work"): django-tasks with its database backend. The queue
# is a table of this database: no other service, the same on SQLite and PostgreSQL, shared by every
# app server; `manage.py db_worker` runs it (`make run` starts one, `make worker` in production).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# An uploaded actuals file at least this large (KB) is checked and saved in the background, with a
# status page; a smaller one at once, in the request. 0: every upload in the background.
BACKGROUND_IMPORT_KB = env_int(
    "BACKGROUND_IMPORT_KB",
    32,
    minimum=0,
    meaning="バックグラウンドで取り込むファイルの大きさ（KB）",
)

# E-mail (README, 「更新ラウンド（毎年の照会）」): reminders of the update round, the workflow's
# notices and invitations. Printed to the console (the server's or the worker's output) unless
# EMAIL_HOST names an SMTP server. Every e-mail is also kept in the database (pdca EmailMessageRecord).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, meaning="SMTP サーバーのポート番号")
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured(
            "環境変数 EMAIL_USE_TLS と EMAIL_USE_SSL は同時に true にできません。"
            "ポート 587 なら EMAIL_USE_TLS=true、ポート 465 なら EMAIL_USE_SSL=true（EMAIL_USE_TLS=false）にしてください。"
        )
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "noreply@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address in the links of e-mails (no request to take it from in a cron job).
SITE_URL = env_site_url("SITE_URL", "http://127.0.0.1:8000")
# Reminders: this many days before each due date, then the day after it and every
# REMINDER_OVERDUE_EVERY days while it stays overdue (shizuoka_dx/deadlines.py).
REMINDER_DAYS = env_int_list("REMINDER_DAYS", [14, 7, 1], meaning="期限の何日前にお知らせを送るか")
REMINDER_OVERDUE_EVERY = env_int(
    "REMINDER_OVERDUE_EVERY", 7, minimum=1, meaning="期限を過ぎた後、何日ごとにお知らせを送るか"
)
# The set-password link of an invitation (and of 「パスワードを忘れた」) works this long.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 7

# django-import-export in the admin: importing needs the "change" permission (DX staff only;
# department heads have no admin access), exporting the "view" permission.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = False

# Where the plan fixtures live (see fixtures/README.md).
PLAN_FIXTURES_DIR = BASE_DIR / "fixtures"

# The achievement engine's B band: a rate of at least this share of the expected progress is B
# (kpis/calculations.py, rule 6). Only a fraction strictly between 0 and 1 makes sense: at 0 no
# KPI that moved forward could be C, at 1 or more none could be B.
ACHIEVEMENT_B_BAND = env_decimal(
    "ACHIEVEMENT_B_BAND",
    Decimal("0.6"),
    above=Decimal(0),
    below=Decimal(1),
    meaning="B（概ね順調）とする達成率の、期待値に対する割合",
)

# Open data (issue 15, item 7): who publishes it and under which licence. Every document and CSV
# carries them; the city may set another licence.
OPENDATA_MUNICIPALITY_CODE = os.environ.get("OPENDATA_MUNICIPALITY_CODE", "221007")
OPENDATA_MUNICIPALITY_NAME = os.environ.get("OPENDATA_MUNICIPALITY_NAME", "静岡市")
OPENDATA_LICENSE = os.environ.get("OPENDATA_LICENSE", "CC BY 4.0")
OPENDATA_LICENSE_URL = os.environ.get(
    "OPENDATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/deed.ja"
)

# Logging: everything goes to stderr, where gunicorn and the service manager collect it.
# - LOG_LEVEL (default INFO) is the level of everything: Django (start-up, django.security.*
#   warnings, runserver's request lines), our apps and the libraries, except:
# - django.request, fixed at ERROR: every 500 is logged with its traceback whatever LOG_LEVEL
#   says, and the WARNING line Django writes for each 404/405 (mostly bots) is left out;
# - django-axes, at WARNING: lockouts and repeated failures, not a line for every login.
# SQL appears only with LOG_LEVEL=DEBUG and DEBUG=true (django.db.backends).
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
