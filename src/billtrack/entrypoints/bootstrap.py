"""The composition root: the adapters chosen by settings, built once, wired into an `Application`.

This is the one module of the entrypoints that imports adapters. Nothing is built at import time.
Tests pass overrides instead of patching; what is overridden is not built at all, and an override
is honoured as given, empty ones included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from billtrack.adapters.argon2.hasher import Argon2PasswordHasher
from billtrack.adapters.aws.messages import (
    MAIL_MESSAGES,
    RENDER_MESSAGES,
    delivery_from_lambda_record,
)

# Re-exported: the Lambda handlers tell a malformed record from a failed job by it.
from billtrack.adapters.aws.messages import MalformedMessage as MalformedMessage
from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.adapters.filesystem.clock import SystemClock
from billtrack.adapters.filesystem.mailer import FolderMailer
from billtrack.adapters.filesystem.storage import LocalFolderStorage
from billtrack.adapters.jinja2.invoice_mail import JinjaInvoiceMailComposer
from billtrack.adapters.jwt.token_issuer import JwtTokenIssuer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.playwright.discovery import find_chromium, playwright_missing
from billtrack.adapters.smtp.mailer import SmtpMailer, SmtpServer
from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine, masked
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.usecases.application import Application, Probe
from billtrack.entrypoints.secret import derived_key
from billtrack.entrypoints.settings import Settings
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import InvoiceMailComposer, Mailer
from billtrack.ports.queues import Delivery, MailQueue, RenderQueue
from billtrack.ports.rendering import PdfRenderer
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.storage import ObjectStorage, SignedDownloads
from billtrack.ports.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from billtrack.adapters.aws.clients import AwsConnection

log = logging.getLogger(__name__)

SchemaOutdated = schema.SchemaOutdated
"""Raised by `bootstrap` when PostgreSQL's schema is behind the code: run `billtrack db upgrade`."""
DatabaseError = DBAPIError
"""Raised by `bootstrap` and `upgrade_database` when the database cannot be reached."""
EMBEDDED_RETRIES: dict[str, Any] = {"max_attempts": 5, "retry_delays": (5.0, 30.0, 120.0, 600.0)}
"""The in-process queues retry a failed job after 5 s, 30 s, 2 and 10 minutes: a mail server or
browser that is down for a while loses nothing."""
RecordReader = Callable[[Mapping[str, Any]], Delivery[Any]]


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


def upgrade_database(settings: Settings) -> tuple[str | None, str | None]:
    """Apply pending migrations; answers the revisions before and after."""
    engine = create_database_engine(settings.database)
    try:
        before = schema.current_revision(engine)
        schema.upgrade(engine)
        return before, schema.current_revision(engine)
    finally:
        engine.dispose()


def masked_database(settings: Settings) -> str:
    """The database URL with its password masked, for messages."""
    return masked(settings.database)


def bootstrap(
    settings: Settings,
    *,
    new_uow: Callable[[], UnitOfWork] | None = None,
    new_reader: Callable[[], UnitOfWork] | None = None,
    clock: Clock | None = None,
    render_queue: RenderQueue | None = None,
    mail_queue: MailQueue | None = None,
    storage: ObjectStorage | None = None,
    signed_downloads: SignedDownloads | None = None,
    renderer: PdfRenderer | None = None,
    mailer: Mailer | None = None,
    mail_composer: InvoiceMailComposer | None = None,
    hasher: PasswordHasher | None = None,
    tokens: TokenIssuer | None = None,
    probes: Mapping[str, Probe] | None = None,
) -> Application:
    """The application the settings describe. `signed_downloads` defaults to the storage when
    billtrack serves that storage's links itself (the local folder)."""
    closers: list[Callable[[], None]] = []
    try:
        built_probes: dict[str, Probe] = {}
        clock = clock if clock is not None else SystemClock(settings.zone)
        secret = settings.signing_secret()
        if new_uow is None:
            engine = prepare_database(settings)
            closers.append(engine.dispose)
            new_uow = _unit_of_work_factory(engine)
            if new_reader is None:
                new_reader = _unit_of_work_factory(engine, read_only=True)
        built_probes["database"] = _database_probe(new_reader or new_uow)
        if render_queue is None or mail_queue is None:
            made_render, made_mail = _queues(settings, built_probes, closers)
            render_queue = render_queue if render_queue is not None else made_render
            mail_queue = mail_queue if mail_queue is not None else made_mail
        if storage is None:
            if settings.storage == "s3":
                # Imported here, as the other cloud and browser adapters are: a command that does
                # not use them does not pay for loading boto3 or Playwright.
                from billtrack.adapters.aws.clients import s3_client
                from billtrack.adapters.aws.s3_storage import S3ObjectStorage

                assert settings.s3_bucket is not None, "checked by the settings"
                client = s3_client(_aws_connection(settings))
                closers.append(client.close)
                s3 = S3ObjectStorage(settings.s3_bucket, client)
                built_probes["storage"] = s3.probe
                storage = s3
            else:
                storage = LocalFolderStorage(
                    settings.data_dir / "files",
                    signing_key=derived_key(secret, "download links"),
                    base_url=settings.public_url,
                    now=clock.now,
                )
        built_probes.setdefault("storage", _storage_probe(storage))
        if signed_downloads is None and isinstance(storage, LocalFolderStorage):
            signed_downloads = storage
        if renderer is None:
            renderer = _renderer(settings, closers)
        return Application(
            new_uow=new_uow,
            new_reader=new_reader,
            clock=clock,
            render_queue=render_queue,
            mail_queue=mail_queue,
            storage=storage,
            signed_downloads=signed_downloads,
            renderer=renderer,
            mailer=mailer if mailer is not None else _mailer(settings, clock),
            mail_composer=mail_composer
            if mail_composer is not None
            else JinjaInvoiceMailComposer(),
            hasher=hasher if hasher is not None else Argon2PasswordHasher(),
            tokens=tokens
            if tokens is not None
            else JwtTokenIssuer(secret, now=clock.now, lifetime=settings.token_lifetime),
            issuer=settings.issuer,
            render_parallelism=getattr(renderer, "pool_size", 1),
            download_link_lifetime=settings.download_link_lifetime,
            probes=probes if probes is not None else built_probes,
            closers=closers,
        )
    except BaseException:
        # Whatever was built before the failure (the engine, a browser) is released.
        for close in reversed(closers):
            close()
        raise


def _aws_connection(settings: Settings) -> AwsConnection:
    from billtrack.adapters.aws.clients import AwsConnection

    return AwsConnection(endpoint_url=settings.aws_endpoint_url)


def _queues(
    settings: Settings, probes: dict[str, Probe], closers: list[Callable[[], None]]
) -> tuple[RenderQueue, MailQueue]:
    if settings.queue == "memory":
        return (
            InMemoryQueue[RenderJob]("render queue", **EMBEDDED_RETRIES),
            InMemoryQueue[MailJob]("mail queue", **EMBEDDED_RETRIES),
        )
    from billtrack.adapters.aws.clients import sqs_client
    from billtrack.adapters.aws.sqs_queue import SqsJobQueue

    assert settings.sqs_queue_url, "checked by the settings"
    assert settings.sqs_mail_queue_url, "checked by the settings"
    client = sqs_client(_aws_connection(settings))
    closers.append(client.close)
    render = SqsJobQueue(
        client, settings.sqs_queue_url, RENDER_MESSAGES, max_attempts=settings.sqs_max_receive
    )
    mail = SqsJobQueue(
        client, settings.sqs_mail_queue_url, MAIL_MESSAGES, max_attempts=settings.sqs_max_receive
    )
    probes["render queue"] = render.probe
    probes["mail queue"] = mail.probe
    return render, mail


def _mailer(settings: Settings, clock: Clock) -> Mailer:
    """SMTP when a host is set, else the data folder's `mail/`."""
    if settings.smtp_host is None:
        return FolderMailer(
            settings.data_dir / "mail",
            sender=settings.mail_from,
            reply_to=settings.mail_reply_to,
            now=clock.now,
        )
    server = SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port_or_default,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )
    log.info("mail: SMTP %s:%d (%s)", server.host, server.port, server.security)
    return SmtpMailer(
        server, sender=settings.mail_from, reply_to=settings.mail_reply_to, now=clock.now
    )


def _renderer(settings: Settings, closers: list[Callable[[], None]]) -> PdfRenderer:
    """The PDF renderer the settings ask for; `auto` takes Chromium when one is found."""
    if settings.pdf_renderer == "builtin":
        log.info("PDF renderer: builtin (BILLTRACK_PDF_RENDERER=builtin)")
        return BuiltinPdfRenderer()
    location = find_chromium(settings.chromium_path)
    if location is None:
        if settings.pdf_renderer == "chromium":
            raise ValueError(
                "BILLTRACK_PDF_RENDERER=chromium, but no Chromium was found: install one "
                "(Debian: apt-get install chromium) or set BILLTRACK_CHROMIUM_PATH"
            )
        log.info("PDF renderer: builtin, as no Chromium was found (set BILLTRACK_CHROMIUM_PATH)")
        return BuiltinPdfRenderer()
    missing = playwright_missing()
    if missing is not None:
        raise ValueError(
            f"Chromium {location.describe()} needs Playwright to print, which is not installed "
            f"({missing}): install billtrack's dependencies, or set BILLTRACK_PDF_RENDERER=builtin"
        )
    # The renderer imports Playwright itself only when it launches the browser.
    from billtrack.adapters.playwright.renderer import PlaywrightPdfRenderer

    chromium = PlaywrightPdfRenderer(location.path, pool_size=settings.render_pages)
    closers.append(chromium.close)
    log.info("PDF renderer: Chromium %s", location.describe())
    return chromium


def render_record_reader() -> RecordReader:
    """How the render worker Lambda reads a record of its SQS event (raises MalformedMessage)."""
    return lambda record: delivery_from_lambda_record(record, RENDER_MESSAGES.decode)


def mail_record_reader() -> RecordReader:
    """How the mailer Lambda reads a record of its SQS event (raises MalformedMessage)."""
    return lambda record: delivery_from_lambda_record(record, MAIL_MESSAGES.decode)


def _unit_of_work_factory(engine: Engine, *, read_only: bool = False) -> Callable[[], UnitOfWork]:
    return lambda: SqlAlchemyUnitOfWork(engine, read_only=read_only)


def _database_probe(new_uow: Callable[[], UnitOfWork]) -> Probe:
    def probe() -> None:
        with new_uow() as uow:
            uow.users.with_email("")

    return probe


def _storage_probe(storage: ObjectStorage) -> Probe:
    return lambda: storage.exists("health/probe")
