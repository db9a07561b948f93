"""An `Application` wired with in-memory adapters and the test doubles, for tests that drive
billtrack through the same object the entrypoints call."""

from __future__ import annotations

from collections.abc import Callable

from billtrack.adapters.jinja2.invoice_mail import JinjaInvoiceMailComposer
from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.domain.usecases.application import Application
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import RenderQueue
from billtrack.ports.unit_of_work import UnitOfWork
from tests.fakes.rendering import RecordingPdfRenderer
from tests.fakes.security import FastPasswordHasher, InMemoryTokenIssuer


def in_memory_application(
    new_uow: Callable[[], UnitOfWork],
    clock: Clock,
    *,
    render_queue: RenderQueue | None = None,
) -> Application:
    """Every port in memory; `new_uow` answers the unit of work of each operation."""
    return Application(
        new_uow=new_uow,
        clock=clock,
        render_queue=(
            render_queue if render_queue is not None else InMemoryQueue[RenderJob]("render")
        ),
        mail_queue=InMemoryQueue[MailJob]("mail"),
        storage=InMemoryObjectStorage(clock.now),
        renderer=RecordingPdfRenderer(),
        mailer=InMemoryMailer(),
        mail_composer=JinjaInvoiceMailComposer(),
        hasher=FastPasswordHasher(),
        tokens=InMemoryTokenIssuer(clock.now),
    )
