"""Settings: environment variables with the prefix BILLTRACK_ (or a .env file), read at the edge."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billtrack.entrypoints.secret import check_secret, load_or_create_secret
from billtrack.ports.rendering import Issuer


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLTRACK_", env_file=".env", extra="ignore")

    data_dir: Path = Path("billtrack-data")
    """The embedded default's folder: database, PDFs, mails, generated secret."""
    database_url: str | None = None
    """A SQLAlchemy URL; by default a SQLite file in the data folder."""
    timezone: str = "UTC"
    """The business time zone (IANA name) for "today" and "this month"."""
    public_url: str = "http://127.0.0.1:8000"
    """Where clients reach the API; download links of the local storage start with it."""
    jwt_secret: SecretStr | None = None
    """The signing secret, at least 32 bytes; by default generated once into the data folder."""
    mail_from: str = "billtrack <billtrack@localhost>"
    mail_reply_to: str | None = None
    smtp_host: str | None = None
    """The mail server; without one, mails are written to the data folder's `mail/`."""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    """By default 587 with STARTTLS, 465 with TLS, 25 without."""
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    cors_origins: str = ""
    """Comma-separated origins allowed to call the API from a browser."""
    token_lifetime: timedelta = timedelta(hours=24)
    download_link_lifetime: timedelta = timedelta(minutes=15)
    admin_email: str | None = None
    """The first user, created at start when there is no user yet."""
    admin_password: SecretStr | None = None
    """The first user's password; generated and printed once when not given."""
    queue: Literal["memory", "sqs"] = "memory"
    """Where render and mail jobs wait: in the process, or on SQS."""
    sqs_queue_url: str | None = None
    """The render queue's URL (with `queue=sqs`)."""
    sqs_mail_queue_url: str | None = None
    """The mail queue's URL (with `queue=sqs`)."""
    sqs_max_receive: int = Field(default=5, ge=1, le=1000)
    """The queues' `maxReceiveCount`: after so many failed deliveries a job is given up."""
    storage: Literal["local", "s3"] = "local"
    """Where PDFs are kept: the data folder, or an S3 bucket."""
    s3_bucket: str | None = None
    aws_endpoint_url: str | None = None
    """Endpoint of SQS and S3 (an emulator in tests); region and credentials come from the usual
    AWS variables and chain."""
    pdf_renderer: Literal["auto", "chromium", "builtin"] = "auto"
    """`auto` takes Chromium when one is found, else the builtin renderer."""
    chromium_path: Path | None = None
    """The Chromium (or Chrome) executable to print with."""
    render_pages: int | None = Field(default=None, ge=1, le=64)
    """How many Chromium pages print at once; by default as many as the machine has cores."""
    company_name: str = ""
    """The issuer printed on invoices and mails."""
    company_address: str = ""
    """The issuer's address; `\\n` or a new line separates its lines."""
    currency: str = "EUR"
    """ISO 4217 code of the amounts."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name like Europe/Berlin"
            ) from error
        return value

    @model_validator(mode="after")
    def _complete_cloud_settings(self) -> Settings:
        missing = []
        if self.queue == "sqs":
            missing += [
                f"BILLTRACK_{name.upper()}"
                for name in ("sqs_queue_url", "sqs_mail_queue_url")
                if not getattr(self, name)
            ]
        if self.storage == "s3" and not self.s3_bucket:
            missing.append("BILLTRACK_S3_BUCKET")
        if missing:
            raise ValueError(f"{' and '.join(missing)} must be set for the chosen queue or storage")
        return self

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code such as EUR or USD")
        return code

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_secret(value.get_secret_value())
        return value

    def served_at(self, host: str, port: int) -> Settings:
        """These settings for an API served at host:port: download links point there, unless
        BILLTRACK_PUBLIC_URL says where clients reach it (behind a proxy, say)."""
        if "public_url" in self.model_fields_set:
            return self
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - a comparison
        return self.model_copy(update={"public_url": f"http://{shown}:{port}"})

    @property
    def smtp_port_or_default(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return {"starttls": 587, "ssl": 465, "none": 25}[self.smtp_security]

    @property
    def issuer(self) -> Issuer:
        address = self.company_address.replace("\\n", "\n").strip()
        return Issuer(name=self.company_name.strip(), address=address, currency=self.currency)

    @property
    def allowed_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'billtrack.sqlite3').resolve()}"

    @property
    def is_embedded_database(self) -> bool:
        return self.database.startswith("sqlite")

    def signing_secret(self) -> str:
        """The secret everything billtrack signs is derived from: the setting, or the one
        generated into the data folder on first use."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return load_or_create_secret(self.data_dir)
