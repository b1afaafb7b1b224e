"""The munge_key module writes the key it is given, in base64 or hex, and never shows it."""

import base64
import os

import pytest
from module_harness import raise_on_exit, run_main

from ansible_collections.gxhpc.cluster.plugins.modules import munge_key

KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    raise_on_exit(monkeypatch)


def run(args, check_mode=False):
    return run_main(munge_key.main, dict(args, owner="root", group="root"), check_mode)


@pytest.mark.parametrize(
    "content, content_format",
    [(base64.b64encode(KEY).decode(), "base64"), (KEY.hex(), "hex"), (KEY.hex().upper(), "hex")],
)
def test_writes_the_key_in_either_format(tmp_path, content, content_format):
    path = tmp_path / "munge.key"
    result = run({"path": str(path), "content": content, "content_format": content_format})
    assert not result.failed, result.result
    assert path.read_bytes() == KEY
    assert oct(os.stat(path).st_mode & 0o777) == "0o400"
    again = run({"path": str(path), "content": content, "content_format": content_format})
    assert again.result["changed"] is False


def test_hex_key_read_as_base64_is_a_different_key(tmp_path):
    # The reason munge_key_format exists: 64 hex digits are valid base64 too, of 48 other bytes.
    path = tmp_path / "munge.key"
    run({"path": str(path), "content": KEY.hex()})
    assert path.read_bytes() != KEY
    assert len(path.read_bytes()) == 48


def test_bad_key_fails_without_showing_it(tmp_path):
    path = tmp_path / "munge.key"
    result = run({"path": str(path), "content": "ab" * 10, "content_format": "hex"})
    assert result.failed
    assert "decodes (hex) to 10 bytes" in result.result["msg"]
    assert "ab" * 10 not in result.result["msg"]
    assert not path.exists()
