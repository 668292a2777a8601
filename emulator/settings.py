"""Settings: command-line flags win over CALL_EMULATOR_* environment
variables, which win over the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALL_EMULATOR_", extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on")
    port: int = Field(8000, ge=0, le=65535, description="Port to listen on (0: any free port)")
    seed: int = Field(1, description="Seed for every generated id, name, number and conversation")
    clock: Literal["realtime", "scaled", "manual"] = Field("realtime", description="How virtual time moves")
    speed: float = Field(60.0, gt=0, description="Speed factor of the scaled clock")
    now: str | None = Field(None, description="Start the clock at this ISO 8601 instant (default: the wall clock)")
    fixtures: Path | None = Field(None, description="Fixtures folder (default: the bundled fixtures)")
    tenants: Path | None = Field(None, description="Tenants file overriding fixtures/tenants.json")
    demo: bool = Field(True, description="Generate demo traffic (a new call every few seconds)")
    demo_every: float = Field(8.0, gt=0, description="Seconds of virtual time between demo calls")
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins (default: any localhost origin)")
    log_level: str = Field("info", description="Log level")
    log_format: Literal["text", "json"] = Field("text", description="Log format: text, or JSON lines")
    journal_size: int = Field(1000, ge=1, le=1_000_000, description="How many vendor requests the journal keeps")
    control_token: str | None = Field(None, description="Token the control plane requires in x-emulator-token (required off loopback)")
