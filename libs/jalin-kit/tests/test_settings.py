from typing import ClassVar

import pytest

from jalin_kit.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    default_port: ClassVar[int] = 8199


def test_service_prefix_overrides_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JALIN_NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("JALIN_DEMO_NATS_URL", "nats://own:4222")
    monkeypatch.setenv("JALIN_MAX_DELIVER", "7")
    s = DemoSettings()
    assert s.nats_url == "nats://own:4222"
    assert s.max_deliver == 7
    assert s.port == 8199
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("demo.db")


def test_production_refuses_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="placeholder"):
        DemoSettings()
    monkeypatch.setenv("JALIN_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    assert DemoSettings().environment == "production"


def test_public_settings_hide_secrets() -> None:
    s = DemoSettings(jwt_secret="hunter2-hunter2", database_url="postgresql+asyncpg://jalin:pw@db/x")
    public = s.public()
    assert public["jwt_secret"] == "***"
    assert "pw" not in public["database_url"]
