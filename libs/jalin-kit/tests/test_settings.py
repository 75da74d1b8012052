import stat
from pathlib import Path
from typing import ClassVar

import pytest

from jalin_kit.settings import DEV_SECRET_FILE, ServiceSettings


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    default_port: ClassVar[int] = 8199


def test_service_prefix_overrides_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", "development")
    monkeypatch.setenv("JALIN_NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("JALIN_DEMO_NATS_URL", "nats://own:4222")
    monkeypatch.setenv("JALIN_MAX_DELIVER", "7")
    s = DemoSettings()
    assert s.nats_url == "nats://own:4222"
    assert s.max_deliver == 7
    assert s.port == 8199
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("demo.db")


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_the_placeholder_secret_is_refused_in_every_mode(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", environment)
    monkeypatch.setenv("JALIN_NATS_USER", "demo")
    monkeypatch.setenv("JALIN_NATS_PASSWORD", "a-bus-password")
    monkeypatch.setenv("JALIN_JWT_SECRET", "change-me")
    with pytest.raises(ValueError, match="placeholder"):
        DemoSettings()
    monkeypatch.setenv("JALIN_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    assert DemoSettings().environment == environment


@pytest.mark.parametrize("environment", ["test", "production"])
def test_a_start_without_a_secret_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environment: str
) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", environment)
    monkeypatch.setenv("JALIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JALIN_NATS_USER", "demo")
    monkeypatch.setenv("JALIN_NATS_PASSWORD", "a-bus-password")
    with pytest.raises(ValueError, match="JALIN_JWT_SECRET"):
        DemoSettings()
    assert not (tmp_path / DEV_SECRET_FILE).exists()
    monkeypatch.setenv("JALIN_JWT_JWKS_URL", "https://idp.example.id/jwks")
    monkeypatch.setenv("JALIN_JWT_ALGORITHMS", '["RS256"]')
    assert DemoSettings().jwt_secret is None  # OIDC needs no shared secret


def test_a_start_that_says_nothing_is_a_production_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="JALIN_JWT_SECRET"):
        DemoSettings()
    assert not (tmp_path / ".jalin").exists()  # nothing generated, no demo region seeded


def test_the_embedded_default_generates_its_secret_into_the_data_folder(tmp_path: Path) -> None:
    settings = DemoSettings(data_dir=tmp_path, environment="development")
    assert settings.jwt_secret is None
    key = settings.jwt_key()
    path = tmp_path / DEV_SECRET_FILE
    assert path.read_text() == key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = DemoSettings(data_dir=tmp_path, environment="development")
    assert again.jwt_key() == key  # every process of the platform reads the same
    assert DemoSettings(data_dir=tmp_path / "other", environment="development").jwt_key() != key


def test_production_secret_must_be_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", "production")
    monkeypatch.setenv("JALIN_NATS_USER", "demo")
    monkeypatch.setenv("JALIN_NATS_PASSWORD", "a-bus-password")
    with pytest.raises(ValueError, match="32 bytes"):
        DemoSettings(jwt_secret="short-but-not-placeholder")


def test_production_connects_to_the_bus_with_a_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", "production")
    monkeypatch.setenv("JALIN_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    with pytest.raises(ValueError, match="JALIN_NATS_USER"):
        DemoSettings()
    monkeypatch.setenv("JALIN_DEMO_NATS_USER", "demo")
    monkeypatch.setenv("JALIN_DEMO_NATS_PASSWORD", "a-bus-password")
    settings = DemoSettings()
    assert settings.public()["nats_password"] == "***"


def test_public_settings_hide_secrets() -> None:
    s = DemoSettings(jwt_secret="hunter2-hunter2", database_url="postgresql+asyncpg://jalin:pw@db/x", environment="test")
    public = s.public()
    assert public["jwt_secret"] == "***"
    assert "pw" not in public["database_url"]
