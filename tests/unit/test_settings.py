"""Settings refuse to start on what would be unsafe or meaningless."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from billtrack.entrypoints.secret import InsecureSecret, derived_key, load_or_create_secret
from billtrack.entrypoints.settings import Settings
from billtrack.ports.rendering import Issuer


def test_defaults_keep_everything_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.database == f"sqlite:///{tmp_path.resolve() / 'billtrack.sqlite3'}"
    assert settings.is_embedded_database


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLTRACK_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("BILLTRACK_DATABASE_URL", "postgresql+psycopg://u@db/billtrack")
    settings = Settings()
    assert settings.zone.key == "Europe/Berlin"
    assert not settings.is_embedded_database


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="IANA name"):
        Settings(timezone="Mars/Olympus_Mons")


@pytest.mark.parametrize("secret", ["short", "x" * 31, "super-secret-key-change-in-production"])
def test_weak_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValidationError):
        Settings(jwt_secret=SecretStr(secret))


def test_the_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path)
    assert len(first) >= 32
    assert load_or_create_secret(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_a_weak_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("changeme\n")
    with pytest.raises(InsecureSecret):
        load_or_create_secret(tmp_path)


def test_each_purpose_gets_its_own_key() -> None:
    assert derived_key("s" * 40, "download links") != derived_key("s" * 40, "tokens")
    assert len(derived_key("s" * 40, "download links")) == 32


def test_download_links_follow_the_served_address_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().served_at("127.0.0.1", 8123).public_url == "http://127.0.0.1:8123"
    assert Settings().served_at("0.0.0.0", 80).public_url == "http://127.0.0.1:80"
    monkeypatch.setenv("BILLTRACK_PUBLIC_URL", "https://bills.example.com")
    assert Settings().served_at("0.0.0.0", 8000).public_url == "https://bills.example.com"


@pytest.mark.parametrize("currency", ["EURO", "EU", "", "E1R", "€UR", "ÄÖÜ"])
def test_a_currency_that_is_no_iso_4217_code_is_refused(currency: str) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Settings(currency=currency)


def test_the_currency_is_an_upper_case_code() -> None:
    assert Settings().currency == "EUR"
    assert Settings(currency="usd").currency == "USD"
    assert Settings(currency=" chf ").issuer.currency == "CHF"


def test_the_currency_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLTRACK_CURRENCY", "pln")
    assert Settings().issuer.currency == "PLN"
    monkeypatch.setenv("BILLTRACK_CURRENCY", "EURO")
    with pytest.raises(ValidationError, match="ISO 4217"):
        Settings()


def test_the_issuer_is_the_company_with_its_address_in_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An environment variable holds no new line: a literal backslash-n separates the lines.
    monkeypatch.setenv("BILLTRACK_COMPANY_NAME", "  Example GmbH ")
    monkeypatch.setenv("BILLTRACK_COMPANY_ADDRESS", r"Hauptstraße 1\n10115 Berlin\nGermany")

    issuer = Settings().issuer

    assert issuer == Issuer(
        name="Example GmbH", address="Hauptstraße 1\n10115 Berlin\nGermany", currency="EUR"
    )
    assert issuer.address.splitlines() == ["Hauptstraße 1", "10115 Berlin", "Germany"]


def test_a_real_new_line_in_the_address_is_kept_and_the_default_issuer_is_empty() -> None:
    assert Settings(company_address="Main Street 1\nSpringfield\n").issuer.address == (
        "Main Street 1\nSpringfield"
    )
    assert Settings().issuer == Issuer(name="", address="", currency="EUR")


def test_the_signing_secret_is_the_setting_or_the_generated_one(tmp_path: Path) -> None:
    secret = "k" * 40
    assert Settings(data_dir=tmp_path, jwt_secret=SecretStr(secret)).signing_secret() == secret
    assert not (tmp_path / "secret.key").exists()

    generated = Settings(data_dir=tmp_path).signing_secret()

    assert generated == load_or_create_secret(tmp_path)
    assert Settings(data_dir=tmp_path).signing_secret() == generated
