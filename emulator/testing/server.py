"""emulator.testing.Emulator: the real server on a free port, in a thread or
a subprocess, ready when start() returns."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from typing import Literal


from emulator.testing.client import ControlClient


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Emulator:
    """The emulator, started for a test suite.

    with Emulator() as emu:
        emu.control.create_tenant("heppu")
        httpx.get(emu.heppu_url + "/api/v1/calls/...")

    `settings` are Settings fields (seed, clock, now, demo, journal_size...).
    Give `url` to attach to a server someone else runs (nothing is started)."""

    def __init__(
        self,
        *,
        mode: Literal["thread", "subprocess"] = "thread",
        host: str = "127.0.0.1",
        port: int = 0,
        url: str | None = None,
        token: str | None = None,
        startup_timeout: float = 20.0,
        **settings,
    ) -> None:
        if mode not in ("thread", "subprocess"):
            raise ValueError("mode is thread or subprocess")
        self.mode = mode
        self.host = host
        self.port = port
        self.token = token
        self.startup_timeout = startup_timeout
        self.settings = {"demo": False, **settings}
        self._external = url
        self.url = url.rstrip("/") if url else ""
        self._server = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen | None = None
        self.control: ControlClient | None = None

    # Both vendors are served from the same origin.
    @property
    def heppu_url(self) -> str:
        return self.url

    @property
    def trillet_url(self) -> str:
        return self.url

    @property
    def livekit_url(self) -> str:
        """For LiveKitAPI(url, key, secret): the Twirp routes share the port."""
        return self.url

    def start(self) -> "Emulator":
        if self._external is None:
            self._start_thread() if self.mode == "thread" else self._start_subprocess()
        self.control = ControlClient(self.url, token=self.token)
        deadline = time.monotonic() + self.startup_timeout
        while not self.control.ready():
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"call-emulator exited with {self._proc.returncode}: {self._proc.stderr.read() if self._proc.stderr else ''}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"call-emulator at {self.url} not ready after {self.startup_timeout} s")
            time.sleep(0.02)
        return self

    def _start_thread(self) -> None:
        import uvicorn

        from emulator.app import create_app
        from emulator.settings import Settings

        settings = Settings(host=self.host, port=self.port, control_token=self.token, **self.settings)
        # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted
        # connections (else keep-alive requests wait on delayed ACKs).
        self._sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, name="call-emulator", daemon=True)
        self._thread.start()

    def _start_subprocess(self) -> None:
        self.port = self.port or free_port(self.host)
        self.url = f"http://{self.host}:{self.port}"
        args = [sys.executable, "-m", "emulator", "serve", "--host", self.host, "--port", str(self.port), "--log-level", "warning"]
        env = dict(os.environ)
        for name, value in self.settings.items():
            env[f"CALL_EMULATOR_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
        if self.token:
            env["CALL_EMULATOR_CONTROL_TOKEN"] = self.token
        self._proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stderr:
                self._proc.stderr.close()
            self._proc = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
