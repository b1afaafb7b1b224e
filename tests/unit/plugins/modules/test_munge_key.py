import base64

import pytest

from ansible_collections.gxhpc.cluster.plugins.modules.munge_key import decode_key


def test_decode_key_round_trip():
    key = bytes(range(256))
    assert decode_key(base64.b64encode(key).decode()) == key


def test_decode_key_ignores_line_breaks():
    key = b"k" * 64
    text = base64.encodebytes(key).decode()
    assert "\n" in text
    assert decode_key(text) == key


def test_decode_key_not_base64():
    with pytest.raises(ValueError, match="content is not valid base64"):
        decode_key("not base64!")


def test_decode_key_too_short():
    with pytest.raises(ValueError, match="a MUNGE key has 32 to 1024 bytes; content decodes to 3"):
        decode_key(base64.b64encode(b"abc").decode())
