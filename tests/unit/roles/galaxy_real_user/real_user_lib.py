"""The galaxy_real_user role's paths and its scripts' library (files/gxhpc_real_user.py), for the tests here."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
ROLE = os.path.join(ROOT, "roles", "galaxy_real_user")
LIB = os.path.join(ROLE, "files", "gxhpc_real_user.py")


def import_library(name):
    """A fresh copy of the library as module ``name`` (each test file its own, so one's patches never reach
    another's)."""
    spec = importlib.util.spec_from_file_location(name, LIB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
