"""The docs tests reuse the integration tests' throwaway systemd containers."""

import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration", "conftest.py")
_SPEC = importlib.util.spec_from_file_location("gxhpc_integration_fixtures", _PATH)
_FIXTURES = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_FIXTURES)

container = _FIXTURES.container
docker = _FIXTURES.docker
