"""Django settings built in code from the workspace and store paths (no settings module to edit).

The database is SQLite in the workspace (``WORKSPACE/web/web.sqlite3``) unless ``DATABASE_URL``
names another (``postgresql://user:password@host:5432/name``, read by dj-database-url). The
secret key comes from ``$DRIFTFLAG_WEB_SECRET_KEY`` or is made once and kept, readable by its
owner only, in ``WORKSPACE/web/secret_key``. Sessions end after 30 minutes without a request.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Minutes of inactivity after which a session ends.
SESSION_MINUTES = 30
#: Failed sign-ins (per user name, and per address) allowed in :data:`THROTTLE_MINUTES`.
THROTTLE_FAILURES = 5
THROTTLE_MINUTES = 15


def web_dir(workspace: Path) -> Path:
    """Where the web app keeps its own files in the workspace (database, secret key, caches)."""
    return Path(workspace) / "web"


def _secret_key(workspace: Path) -> str:
    given = os.environ.get("DRIFTFLAG_WEB_SECRET_KEY")
    if given:
        return given
    path = web_dir(workspace) / "secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database(workspace: Path, url: str | None = None) -> dict:
    """Django's ``DATABASES['default']``: ``url`` (or ``$DATABASE_URL``), else SQLite in the workspace."""
    url = url if url is not None else os.environ.get("DATABASE_URL")
    if url:
        import dj_database_url

        # connections kept open between requests ($DRIFTFLAG_DB_CONN_MAX_AGE seconds, 0: closed)
        return dj_database_url.parse(url, conn_max_age=int(os.environ.get("DRIFTFLAG_DB_CONN_MAX_AGE", "60")))
    path = web_dir(workspace) / "web.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
            # WAL: pages read while the access log is written; a commit survives a crash of the app
            # (synchronous=NORMAL may lose the last entries on a power cut, never corrupt the file)
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}


def build_settings(workspace: Path, store: Path, *, reports: Path | None = None,
                   database_url: str | None = None, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                   https: bool | None = None, mlflow_url: str | None = None,
                   policy: Path | None = None) -> dict:
    """The settings for :func:`django.conf.settings.configure` (see the module docstring)."""
    workspace, store = Path(workspace).resolve(), Path(store).resolve()
    https = os.environ.get("DRIFTFLAG_WEB_HTTPS", "") in ("1", "true", "yes") if https is None else https
    return {
        "DEBUG": False,
        "SECRET_KEY": _secret_key(workspace),
        "ALLOWED_HOSTS": [*hosts, "testserver"],
        "INSTALLED_APPS": [
            "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
            "django.contrib.sessions", "django.contrib.messages", "driftflag.web.apps.WebConfig",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "driftflag.web.security.SecureHeadersMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "driftflag.web.urls",
        "TEMPLATES": [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [], "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "driftflag.web.views.page_context",
            ]},
        }],
        "DATABASES": {"default": database(workspace, database_url)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        "TIME_ZONE": "Europe/London",
        "LANGUAGE_CODE": "en-gb",
        "STATIC_URL": "/static/",
        "LOGIN_URL": "/login/",
        "LOGIN_REDIRECT_URL": "/",
        "LOGOUT_REDIRECT_URL": "/login/",
        "SESSION_COOKIE_AGE": SESSION_MINUTES * 60,
        "SESSION_SAVE_EVERY_REQUEST": True,   # 30 minutes since the last request, not the first
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Strict",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_HSTS_SECONDS": 31536000 if https else 0,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if https else None,
        "X_FRAME_OPTIONS": "DENY",
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
             "OPTIONS": {"min_length": 10}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "LOGGING_CONFIG": None,
        "DRIFTFLAG_WORKSPACE": workspace,
        "DRIFTFLAG_STORE": store,
        "DRIFTFLAG_REPORTS": Path(reports).resolve() if reports else store.parent,
        "DRIFTFLAG_POLICY": Path(policy or "pipelines/monthly_audit.yaml").resolve(),
        "DRIFTFLAG_MLFLOW_URL": mlflow_url or os.environ.get("DRIFTFLAG_MLFLOW_URL", ""),
    }


#: A Python file whose ``update(settings)`` changes the settings before Django starts: the place
#: for a council's own additions, such as signing in through its identity provider (docs/web.md).
EXTRA_SETTINGS_ENV = "DRIFTFLAG_WEB_SETTINGS"


def _apply_extra(values: dict) -> dict:
    path = os.environ.get(EXTRA_SETTINGS_ENV)
    if not path:
        return values
    import runpy

    from driftflag.errors import ConfigError

    if not Path(path).is_file():
        raise ConfigError(f"${EXTRA_SETTINGS_ENV} names {path}, which is not a file")
    update = runpy.run_path(path).get("update")
    if not callable(update):
        raise ConfigError(f"{path}: defines no update(settings) function")
    update(values)
    return values


def configure(workspace: Path, store: Path, **options) -> None:
    """Configure Django for this workspace and store and set it up (once per process)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**_apply_extra(build_settings(workspace, store, **options)))
    django.setup()
