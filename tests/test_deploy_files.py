"""The deploy files agree with the code: compose.yaml's services run modules that exist and set only variables the
settings read, and the Dockerfile copies every package pyproject installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OURS = {name: service for name, service in SERVICES.items() if service.get("build") == "."}
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")

# Variables read by the images we do not build (postgres's) or by the S3 client's standard credential chain.
STANDARD = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "PGDATA"}
AWS = re.compile(r"AWS_[A-Z_]+")
INTERPOLATED = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)")


def _settings_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _module(command: list[str]) -> str:
    assert command[:2] == ["python", "-m"], command
    return command[2]


def test_the_bot_and_the_worker_run_modules_of_this_repository_from_one_image() -> None:
    assert set(OURS) == {"bot", "worker"}
    modules = {name: _module(service["entrypoint"]) for name, service in OURS.items()}
    assert modules == {"bot": "bot", "worker": "worker"}
    for module in modules.values():
        assert (ROOT / module / "__main__.py").is_file()
    assert all(service["image"] == "cloudmusic" for service in OURS.values())
    entrypoint = re.search(r"^ENTRYPOINT (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert entrypoint is not None
    assert (ROOT / _module(yaml.safe_load(entrypoint.group(1))) / "__main__.py").is_file()


def test_every_variable_compose_names_is_a_setting_or_a_standard_one() -> None:
    known = _settings_names() | STANDARD
    named: set[str] = set(INTERPOLATED.findall((ROOT / "compose.yaml").read_text(encoding="utf-8")))
    for service in OURS.values():
        named |= set(service["environment"])
    unknown = {name for name in named if name not in known and not AWS.fullmatch(name)}
    assert not unknown, f"compose.yaml names variables nothing reads: {sorted(unknown)}"
    assert set(SERVICES["postgres"]["environment"]) <= STANDARD


def test_the_scaled_layout_renders_in_workers_on_postgres_with_secrets_from_the_env_file() -> None:
    bot, worker = OURS["bot"], OURS["worker"]
    assert bot["environment"]["WORKERS_IN_BOT"] == "false"
    assert "ports" not in worker  # `--scale worker=N` would fight over a published port
    for service in (bot, worker):
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert service["env_file"] == ".env"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        for secret in ("TELEGRAM_BOT_TOKEN", "FINGERPRINT_SECRET"):
            assert env[secret].startswith("${" + secret + ":?")  # from .env, required, never a value here
        assert "${POSTGRES_PASSWORD" in env["DATABASE_URL"]
    postgres = SERVICES["postgres"]
    assert postgres["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_s3_is_optional_behind_a_profile() -> None:
    optional = {name for name, service in SERVICES.items() if service.get("profiles")}
    assert optional == {"s3", "s3-bucket"}
    assert all(SERVICES[name]["profiles"] == ["s3"] for name in optional)
    for service in OURS.values():
        assert service["depends_on"]["s3-bucket"]["required"] is False


def test_the_image_copies_every_package_pyproject_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", DOCKERFILE, re.MULTILINE))
    assert packages <= copied, f"the Dockerfile misses {sorted(packages - copied)}"


def test_the_readme_gives_the_commands_that_start_the_scaled_layout() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker compose up -d --scale worker=2" in readme
    assert "docker compose --profile s3 up -d --scale worker=2" in readme
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for required in ("TELEGRAM_BOT_TOKEN", "FINGERPRINT_SECRET", "POSTGRES_PASSWORD"):
        assert required in example
