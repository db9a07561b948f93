"""The first user: created at start when there is none, from settings or with a new password."""

from __future__ import annotations

import secrets

from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.settings import Settings

DEFAULT_ADMIN_EMAIL = "admin@billtrack.local"


def ensure_first_user(settings: Settings, app: Application) -> tuple[str, str | None] | None:
    """(email, password) of the user just created, the password None when it came from settings;
    None when users existed already."""
    email = settings.admin_email or DEFAULT_ADMIN_EMAIL
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = given or secrets.token_urlsafe(12)
    created = app.add_first_user(email, password)
    if created is None:
        return None
    return created.email.value, None if given else password
