"""Settings: environment variables with the prefix BILLTRACK_ (or a .env file), read at the edge."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLTRACK_", env_file=".env", extra="ignore")

    data_dir: Path = Path("billtrack-data")
    """The embedded default's folder: database, PDFs, mails, generated secret."""
    timezone: str = "UTC"
    """The business time zone (IANA name) for "today" and "this month"."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name like Europe/Berlin"
            ) from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
