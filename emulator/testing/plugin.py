"""pytest plugin (registered by entry point as `call_emulator`).

Fixtures:
- `call_emulator` (session): the running Emulator. Started on a free port in
  a thread (or `--call-emulator-mode subprocess`), or attached to
  `--call-emulator-url`. Under pytest-xdist each worker has its own.
- `emulator_tenant` (per test): a TestTenant: its own Heppu organisation and
  Trillet workspace (keys, agents) and its own manual clock, deleted after
  the test with everything it made. `@pytest.mark.emulator_now("...")`
  sets the instant its clock starts at.
"""

from __future__ import annotations

import pytest

# Installing the package loads this plugin into every pytest run in the
# environment: the emulator (FastAPI, uvicorn, httpx...) is imported only
# when a test asks for one of its fixtures.


def pytest_addoption(parser) -> None:
    group = parser.getgroup("call-emulator")
    group.addoption("--call-emulator-url", default=None, help="Use a running call-emulator at this URL instead of starting one")
    group.addoption("--call-emulator-token", default=None, help="Control-plane token of that running emulator")
    group.addoption("--call-emulator-mode", choices=["thread", "subprocess"], default="thread", help="How to start the emulator (default thread)")
    group.addoption("--call-emulator-seed", type=int, default=1, help="Seed of the started emulator (default 1)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "emulator_now(instant): the ISO 8601 instant the test tenant's clock starts at")


@pytest.fixture(scope="session")
def call_emulator(request):
    from emulator.testing.server import Emulator

    opt = request.config.getoption
    emulator = Emulator(
        mode=opt("--call-emulator-mode"),
        url=opt("--call-emulator-url"),
        token=opt("--call-emulator-token"),
        seed=opt("--call-emulator-seed"),
    )
    with emulator:
        yield emulator


@pytest.fixture
def emulator_tenant(call_emulator, request):
    from emulator.testing.tenant import DEFAULT_NOW, TestTenant

    marker = request.node.get_closest_marker("emulator_now")
    now = marker.args[0] if marker else DEFAULT_NOW
    tenant = TestTenant(call_emulator.control, call_emulator.url, now=now)
    try:
        yield tenant
    finally:
        tenant.close()
