"""The Galaxy venv (.cache/venv-galaxy-parser: galaxy-app, gravity, TPV) that every test here runs against."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ensure_venv import GALAXY_REQUIREMENT, GRAVITY_REQUIREMENT, TPV_REQUIREMENT, GalaxyUnavailable, ensure_venv  # noqa: E402


@pytest.fixture(scope="session")
def galaxy_python():
    """The Galaxy venv's python, installed on first use; the tests that need it skip, saying why, without it."""
    try:
        return ensure_venv()
    except GalaxyUnavailable as exc:
        wanted = f"{GALAXY_REQUIREMENT}, {GRAVITY_REQUIREMENT} and {TPV_REQUIREMENT}"
        pytest.skip(f"SKIPPED: cannot install {wanted} into .cache/venv-galaxy-parser: {exc}")
