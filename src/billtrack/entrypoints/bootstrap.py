"""The composition root: adapters built from settings, once, in one place.

Nothing is built at import time. Tests pass `overrides` (any field of `Services`) instead of
patching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.store import InMemoryStore
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.adapters.system.clock import SystemClock
from billtrack.entrypoints.settings import Settings
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import Mailer
from billtrack.ports.rendering import PdfRenderer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork


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


def bootstrap(settings: Settings, **overrides: Any) -> Services:
    known = {f.name for f in fields(Services)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown services: {', '.join(sorted(unknown))}")
    clock = overrides.get("clock") or SystemClock(settings.zone)
    store = InMemoryStore()
    defaults: dict[str, Any] = {
        "settings": settings,
        "uow": lambda: InMemoryUnitOfWork(store),
        "clock": clock,
        "render_queue": InMemoryQueue[RenderJob]("render queue"),
        "mail_queue": InMemoryQueue[MailJob]("mail queue"),
        "storage": InMemoryObjectStorage(clock.now),
        "renderer": BuiltinPdfRenderer(),
        "mailer": InMemoryMailer(),
    }
    return Services(**(defaults | overrides))
