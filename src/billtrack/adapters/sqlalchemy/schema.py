"""Migrations: bring a database to the schema this version of billtrack expects.

Every start checks the schema (the embedded SQLite file is upgraded, PostgreSQL must be current),
and nearly always it is at the head already. That check reads `alembic_version` with plain SQL
and compares it with `HEAD_REVISION`, so a start imports alembic (with mako, and pygments for its
messages: 12 MB of the server's memory) only when there is a migration to run or a revision it
does not know to report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from billtrack.adapters.sqlalchemy.engine import READ_ONLY

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
HEAD_REVISION = "0002"
"""The newest migration's revision id in `migrations/versions`: a new migration updates it (a test
compares it with alembic's head)."""


class SchemaOutdated(Exception):
    """The database's schema is older (or newer) than this version of billtrack expects."""


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The head of the migration scripts, as alembic reads it (see `HEAD_REVISION`)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def _revisions(engine: Engine) -> list[str]:
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return []
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def current_revision(engine: Engine) -> str | None:
    """The revision in the database's `alembic_version`; None for a database never migrated."""
    revisions = _revisions(engine)
    if len(revisions) > 1:
        raise SchemaOutdated(
            f"the database schema has several heads ({', '.join(sorted(revisions))}), this "
            f"billtrack needs {HEAD_REVISION}"
        )
    return revisions[0] if revisions else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every pending migration, in one transaction. A database at the head is left alone
    without importing alembic; one at a revision this billtrack does not know is refused by
    alembic, as before."""
    if revision in ("head", HEAD_REVISION) and _revisions(engine) == [HEAD_REVISION]:
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a schema that `billtrack db upgrade` has not brought up to date (or on a
    newer one, made by a later billtrack)."""
    current = current_revision(engine)
    if current != HEAD_REVISION:
        raise SchemaOutdated(
            f"the database schema is at {current or 'nothing (empty database)'}, this billtrack "
            f"needs {HEAD_REVISION}: run `billtrack db upgrade` first"
        )


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
