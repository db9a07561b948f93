"""The one place tests wire an `Application` from in-memory adapters and test doubles: a port
added to the application is added here, and every test that builds one gets it.

Each port may be given; what is not given is a fresh in-memory stand-in. Overrides are checked
with `is None`, not truthiness: an empty queue has a length of 0 and is still a queue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from billtrack.adapters.jinja2.invoice_mail import JinjaInvoiceMailComposer
from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.domain.usecases.application import Application
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import InvoiceMailComposer, Mailer
from billtrack.ports.queues import MailQueue, RenderQueue
from billtrack.ports.rendering import Issuer, PdfRenderer
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork
from tests.fakes.rendering import RecordingPdfRenderer
from tests.fakes.security import FastPasswordHasher, InMemoryTokenIssuer


def in_memory_application(
    new_uow: Callable[[], UnitOfWork],
    clock: Clock,
    *,
    render_queue: RenderQueue | None = None,
    mail_queue: MailQueue | None = None,
    storage: ObjectStorage | None = None,
    renderer: PdfRenderer | None = None,
    mailer: Mailer | None = None,
    hasher: PasswordHasher | None = None,
    tokens: TokenIssuer | None = None,
    mail_composer: InvoiceMailComposer | None = None,
    issuer: Issuer | None = None,
) -> Application:
    """Every port in memory unless given; `new_uow` answers the unit of work of each operation."""
    return Application(
        new_uow=new_uow,
        clock=clock,
        render_queue=InMemoryQueue[RenderJob]("render") if render_queue is None else render_queue,
        mail_queue=InMemoryQueue[MailJob]("mail") if mail_queue is None else mail_queue,
        storage=InMemoryObjectStorage(clock.now) if storage is None else storage,
        renderer=RecordingPdfRenderer() if renderer is None else renderer,
        mailer=InMemoryMailer() if mailer is None else mailer,
        mail_composer=_composer() if mail_composer is None else mail_composer,
        hasher=FastPasswordHasher() if hasher is None else hasher,
        tokens=InMemoryTokenIssuer(clock.now) if tokens is None else tokens,
        issuer=Issuer() if issuer is None else issuer,
    )


@functools.cache
def _composer() -> JinjaInvoiceMailComposer:
    # Its templates are compiled once for the whole run: thousands of examples build an app.
    return JinjaInvoiceMailComposer()
