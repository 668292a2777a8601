"""Settings: command-line flags win over CALL_EMULATOR_* environment
variables, which win over a config file (TOML or YAML, --config), which wins
over the defaults."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, DirectoryPath, Field, FilePath, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, TomlConfigSettingsSource, YamlConfigSettingsSource

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("config_file", default=None)

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class WebhookSetting(BaseModel):
    """A webhook endpoint registered at start (the `webhooks` section of a config file)."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://[\x21-\x2e\x30-\x7e]+([/?#][\x21-\x7e]*)?$", description="Absolute http(s) URL of the receiver")
    tenant: str | None = Field(None, description="Only this tenant's events (default: every tenant)")
    kind: Literal["heppu", "trillet", "livekit"] | None = Field(None, description="Payload kind (default: the vendor of each event's tenant; livekit only when named)")
    events: list[str] | None = Field(None, description="Event names to send (default: the kind's defaults)")
    secret: str | None = Field(None, description="Signs each delivery (HMAC-SHA256)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALL_EMULATOR_", extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on")
    port: int = Field(8000, ge=0, le=65535, description="Port to listen on (0: any free port)")
    # The same bounds as the control plane's (reset's seed, the clock's speed and now).
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Seed for every generated id, name, number and conversation")
    clock: Literal["realtime", "scaled", "manual"] = Field("realtime", description="How virtual time moves")
    speed: float = Field(60.0, gt=0, le=1_000_000, description="Speed factor of the scaled clock")
    now: str | None = Field(None, description="Start the clock at this ISO 8601 instant (default: the wall clock)")
    fixtures: DirectoryPath | None = Field(None, description="Fixtures folder (default: the bundled fixtures)")
    tenants: FilePath | None = Field(None, description="Tenants file overriding fixtures/tenants.json")
    demo: bool = Field(True, description="Generate demo traffic (each demo tenant: calls in every state, then a new call every few seconds)")
    demo_every: float = Field(8.0, gt=0, description="Seconds of virtual time between one demo tenant's calls")
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins (default: any localhost origin)")
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = Field("info", description="Log level")
    access_log: bool | None = Field(None, description="Log every request (default: only at debug level)")
    strict: bool = Field(False, description="Check every response against the emulator's own spec; one off the spec becomes a 500")
    log_format: Literal["text", "json"] = Field("text", description="Log format: text, or JSON lines")
    journal_size: int = Field(1000, ge=1, le=1_000_000, description="How many vendor requests the journal keeps")
    livekit_port: int | None = Field(
        None, ge=1, le=65535, description="Also listen on this port (e.g. 7880, LiveKit's own) for LiveKit clients; the same app answers on both"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header names answered besides localhost, 127.0.0.1, [::1] and --host ('*': any)",
    )
    webhooks: list[WebhookSetting] = Field(default_factory=list, description="Webhook endpoints registered at start")
    control_token: str | None = Field(None, description="Token the control plane requires in x-emulator-token (required off loopback)")
    data_dir: Path | None = Field(None, description="Keep the state in this folder (SQLite) and restore it at start (default: memory only)")
    import_file: Path | None = Field(None, description="Start from this exported state document (as PUT /_emulator/state)")
    export_on_exit: Path | None = Field(None, description="Write the state document to this file on shutdown")

    @field_validator("now")
    @classmethod
    def _now(cls, v: str | None) -> str | None:
        if v is not None:
            from emulator.control.durations import parse_control_instant

            parse_control_instant(v)
        return v

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, v):
        return v.lower() if isinstance(v, str) else v

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        path = _CONFIG_FILE.get()
        if path is None:
            return (init_settings, env_settings)
        if path.suffix.lower() in (".yaml", ".yml"):
            return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path))

    @classmethod
    def load(cls, config: Path | None = None, **given) -> "Settings":
        """Settings from `given` (flags), the environment and `config`."""
        if config is not None:
            if not Path(config).is_file():
                raise FileNotFoundError(f"config file not found: {config}")
            if Path(config).suffix.lower() not in (".toml", ".yaml", ".yml"):
                raise ValueError(f"config file must be .toml, .yaml or .yml: {config}")
        token = _CONFIG_FILE.set(Path(config) if config is not None else None)
        try:
            return cls(**given)
        except ValidationError:
            raise
        except Exception as exc:  # a config file the parser refused (YAML's errors are not ValueErrors)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"cannot read config file {config}: {first}") from None
        finally:
            _CONFIG_FILE.reset(token)

    @property
    def logs_access(self) -> bool:
        """One line per request costs more than answering a cached call: on
        only when asked for, or at debug level."""
        return self.access_log if self.access_log is not None else self.log_level.lower() == "debug"

    @property
    def loopback(self) -> bool:
        if self.host in ("localhost", "ip6-localhost"):
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

    def check_exposure(self) -> None:
        """Off loopback the control plane could reset anyone's state: it
        needs a token."""
        if not self.loopback and not self.control_token:
            raise ValueError(
                f"refusing to serve the control plane on {self.host} without a token: "
                "set --control-token or CALL_EMULATOR_CONTROL_TOKEN (or listen on 127.0.0.1)"
            )


def describe(exc: Exception) -> str:
    """One line for a person: each invalid setting and why, without pydantic's
    documentation links."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'settings'}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors(include_url=False)
        )
    return " ".join(str(exc).split())
