"""The composition root: adapters built from settings, once, in one place.

Nothing is built at import time. Tests pass `overrides` (any field of `Services`) instead of
patching; what is overridden is not built at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Engine

from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.adapters.jwt.token_issuer import JwtTokenIssuer
from billtrack.adapters.filesystem.mailer import FolderMailer
from billtrack.adapters.filesystem.storage import LocalFolderStorage
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.argon2.hasher import Argon2PasswordHasher
from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine, masked
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.adapters.filesystem.clock import SystemClock
from billtrack.entrypoints.secret import derived_key, load_or_create_secret
from billtrack.entrypoints.settings import Settings
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import Mailer
from billtrack.ports.rendering import PdfRenderer
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    uow: Callable[[], UnitOfWork]
    """A new unit of work, one per request or job (a unit of work is not shared by threads)."""
    clock: Clock
    render_queue: InMemoryQueue[RenderJob]
    mail_queue: InMemoryQueue[MailJob]
    storage: ObjectStorage
    renderer: PdfRenderer
    mailer: Mailer
    hasher: PasswordHasher
    tokens: TokenIssuer
    secret: str
    probes: dict[str, Callable[[], object]] = field(default_factory=dict)
    """Readiness checks by dependency name: each raises when its dependency is down."""
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


def prepare_database(settings: Settings) -> Engine:
    """The database engine. The embedded SQLite file is migrated on start; PostgreSQL is migrated
    by `billtrack db upgrade` as a deploy step, and an outdated schema refuses to start."""
    engine = create_database_engine(settings.database)
    try:
        if settings.is_embedded_database:
            schema.upgrade(engine)
        else:
            schema.ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    log.info("database: %s", masked(settings.database))
    return engine


def bootstrap(settings: Settings, **overrides: Any) -> Services:
    unknown = set(overrides) - {f.name for f in fields(Services)}
    if unknown:
        raise TypeError(f"unknown services: {', '.join(sorted(unknown))}")
    closers: list[Callable[[], None]] = []
    clock: Clock = overrides.get("clock") or SystemClock(settings.zone)
    secret: str = overrides.get("secret") or (
        settings.jwt_secret.get_secret_value()
        if settings.jwt_secret is not None
        else load_or_create_secret(settings.data_dir)
    )

    def database() -> Callable[[], UnitOfWork]:
        engine = prepare_database(settings)
        closers.append(engine.dispose)
        return lambda: SqlAlchemyUnitOfWork(engine)

    factories: dict[str, Callable[[], Any]] = {
        "uow": database,
        "render_queue": lambda: InMemoryQueue[RenderJob]("render queue"),
        "mail_queue": lambda: InMemoryQueue[MailJob]("mail queue"),
        "storage": lambda: LocalFolderStorage(
            settings.data_dir / "files",
            signing_key=derived_key(secret, "download links"),
            base_url=settings.public_url,
            now=clock.now,
        ),
        "renderer": BuiltinPdfRenderer,
        "mailer": lambda: FolderMailer(
            settings.data_dir / "mail", sender=settings.mail_from, now=clock.now
        ),
        "hasher": Argon2PasswordHasher,
        "tokens": lambda: JwtTokenIssuer(secret, now=clock.now, lifetime=settings.token_lifetime),
    }
    built = {
        name: overrides[name] if name in overrides else make() for name, make in factories.items()
    }
    probes = overrides.get("probes") or {
        "database": lambda: _probe_database(built["uow"]),
        "storage": lambda: built["storage"].exists("health/probe"),
    }
    return Services(
        settings=settings, clock=clock, secret=secret, probes=probes, closers=closers, **built
    )


def _probe_database(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        uow.users.with_email("")
