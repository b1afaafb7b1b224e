"""Fixtures shared by the galaxy_real_user tests."""

import os
import pathlib
import shutil
import tempfile

import pytest


@pytest.fixture
def root_tmp(tmp_path):
    """A scratch directory whose parents only root can write, as the chown script requires above its roots.

    pytest's tmp_path lies below /tmp (world-writable), which the chown script rightly refuses. Not
    root: tmp_path (the tests that change owners are skipped then anyway).
    """
    if os.geteuid() != 0:
        yield tmp_path
        return
    parent = next((p for p in ("/run", "/var/lib", "/var/cache") if os.path.isdir(p) and os.access(p, os.W_OK)), None)
    if parent is None:
        pytest.skip("no root-owned 0755 directory writable here (/run, /var/lib, /var/cache)")
    base = tempfile.mkdtemp(prefix="gxhpc-test-", dir=parent)
    os.chmod(base, 0o755)  # noqa: S103 - root-owned, like /srv
    try:
        yield pathlib.Path(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
