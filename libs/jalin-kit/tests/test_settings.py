import stat
from pathlib import Path
from typing import ClassVar

import pytest
from jalin_kit.serve import load_settings
from jalin_kit.settings import DEV_SECRET_FILE, MAX_SECRET_FILE_BYTES, ServiceSettings, SettingsProblem


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


# Everything production needs, each development default replaced.
PRODUCTION = {
    "JALIN_ENVIRONMENT": "production",
    "JALIN_DATABASE_URL": "postgresql+asyncpg://demo:pw@db.internal/demo",
    "JALIN_JWT_JWKS_URL": "https://sso.sumbarprov.go.id/realms/jalin/protocol/openid-connect/certs",
    "JALIN_JWT_ISSUER": "https://sso.sumbarprov.go.id/realms/jalin",
    "JALIN_JWT_ALGORITHMS": '["RS256"]',
    "JALIN_NATS_USER": "demo",
    "JALIN_NATS_PASSWORD": "a-bus-password",
}


def production(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> None:
    for name, value in {**PRODUCTION, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("environment", ["development", "test"])
def test_the_placeholder_secret_is_refused_in_every_mode(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", environment)
    monkeypatch.setenv("JALIN_JWT_SECRET", "change-me")
    with pytest.raises(ValueError, match="placeholder"):
        DemoSettings()
    monkeypatch.setenv("JALIN_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    assert DemoSettings().environment == environment


def test_a_test_start_without_a_key_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JALIN_ENVIRONMENT", "test")
    monkeypatch.setenv("JALIN_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="JALIN_JWT_SECRET"):
        DemoSettings()
    assert not (tmp_path / DEV_SECRET_FILE).exists()
    monkeypatch.setenv("JALIN_JWT_JWKS_URL", "https://idp.example.id/jwks")
    monkeypatch.setenv("JALIN_JWT_ALGORITHMS", '["RS256"]')
    assert DemoSettings().jwt_secret is None  # OIDC needs no shared secret


def test_a_start_that_says_nothing_is_a_production_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="JALIN_DATABASE_URL must name PostgreSQL"):
        DemoSettings()
    assert not (tmp_path / ".jalin").exists()  # nothing generated, no demo region seeded


def test_production_starts_with_every_default_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    settings = DemoSettings()
    assert (settings.environment, settings.jwt_secret, settings.nats_user) == ("production", None, "demo")


@pytest.mark.parametrize("changes,named", [
    ({"JALIN_DATABASE_URL": None}, "JALIN_DATABASE_URL must name PostgreSQL"),
    ({"JALIN_DATABASE_URL": "sqlite+aiosqlite:////var/lib/jalin/demo.db"}, "JALIN_DATABASE_URL must name PostgreSQL"),
    ({"JALIN_JWT_JWKS_URL": None}, "no JWT key: set JALIN_JWT_JWKS_URL"),
    ({"JALIN_JWT_JWKS_URL": None, "JALIN_JWT_SECRET": "a-real-secret-from-the-vault-0123456789"},
     "JALIN_JWT_SECRET is the development issuer's shared secret"),
    ({"JALIN_JWT_SECRET": "a-real-secret-from-the-vault-0123456789"}, "JALIN_JWT_SECRET is the development issuer's"),
    ({"JALIN_JWT_ISSUER": None}, "JALIN_JWT_ISSUER is the development issuer"),
    ({"JALIN_NATS_USER": None}, "set JALIN_NATS_USER and JALIN_NATS_PASSWORD"),
    ({"JALIN_NATS_PASSWORD": None}, "set JALIN_NATS_USER and JALIN_NATS_PASSWORD"),
])
def test_production_refuses_each_development_default(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None], named: str
) -> None:
    production(monkeypatch, **changes)
    with pytest.raises(ValueError, match=named):
        DemoSettings()


def test_secrets_are_read_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    files = {"JALIN_DATABASE_URL": "postgresql+asyncpg://demo:from-file@db.internal/demo\n",
             "JALIN_DEMO_NATS_PASSWORD": "bus-password-from-file\r\n"}
    production(monkeypatch, JALIN_DATABASE_URL=None, JALIN_NATS_PASSWORD=None)
    for env, content in files.items():
        (tmp_path / env).write_text(content)
        monkeypatch.setenv(f"{env}_FILE", str(tmp_path / env))
    settings = DemoSettings()
    assert settings.database_url == "postgresql+asyncpg://demo:from-file@db.internal/demo"
    assert settings.nats_password == "bus-password-from-file"  # the final newline is not part of it
    assert settings.public()["nats_password"] == "***" and "from-file" not in settings.public()["database_url"]


@pytest.mark.parametrize("problem", ["missing", "empty", "twice", "huge"])
def test_a_secret_file_that_cannot_be_used_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, problem: str
) -> None:
    production(monkeypatch, JALIN_NATS_PASSWORD=None)
    path = tmp_path / "nats-password"
    if problem == "empty":
        path.write_text("\n")
    elif problem == "huge":
        path.write_bytes(b"x" * (MAX_SECRET_FILE_BYTES + 1))
    elif problem == "twice":
        path.write_text("one")
        monkeypatch.setenv("JALIN_NATS_PASSWORD", "two")
    monkeypatch.setenv("JALIN_NATS_PASSWORD_FILE", str(path))
    with pytest.raises(SettingsProblem, match="JALIN_NATS_PASSWORD"):
        DemoSettings()


def test_a_service_refuses_to_start_with_one_line_per_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, JALIN_NATS_PASSWORD_FILE="/nowhere/nats-password", JALIN_NATS_PASSWORD=None)
    with pytest.raises(SystemExit) as refused:
        load_settings(DemoSettings)
    assert refused.value.code == ("jalin-demo cannot start:\n"
                                  "  - JALIN_NATS_PASSWORD_FILE: cannot read /nowhere/nats-password (No such file or directory)")
    production(monkeypatch, JALIN_NATS_PASSWORD_FILE=None, JALIN_MAX_DELIVER="five")
    with pytest.raises(SystemExit) as refused:
        load_settings(DemoSettings)
    assert "JALIN_MAX_DELIVER: Input should be a valid integer" in str(refused.value.code)


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


def test_production_takes_the_services_own_bus_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, JALIN_NATS_USER=None, JALIN_NATS_PASSWORD=None)
    monkeypatch.setenv("JALIN_DEMO_NATS_USER", "demo")
    monkeypatch.setenv("JALIN_DEMO_NATS_PASSWORD", "a-bus-password")
    settings = DemoSettings()
    assert settings.public()["nats_password"] == "***"


def test_public_settings_hide_secrets() -> None:
    s = DemoSettings(jwt_secret="hunter2-hunter2", database_url="postgresql+asyncpg://jalin:pw@db/x", environment="test")
    public = s.public()
    assert public["jwt_secret"] == "***"
    assert "pw" not in public["database_url"]
