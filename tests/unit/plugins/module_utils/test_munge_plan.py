"""The munge role's plan: key encodings and lengths, where the key comes from, every problem at once."""

import base64

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils.munge_plan import decode_key, plan, resolve_key_format

KEY = bytes(range(256))
B64 = base64.b64encode(KEY).decode()


def test_decode_key_round_trip():
    assert decode_key(B64) == KEY


def test_decode_key_ignores_line_breaks():
    key = b"k" * 64
    text = base64.encodebytes(key).decode()
    assert "\n" in text
    assert decode_key(text) == key


def test_decode_key_hex():
    assert decode_key(KEY.hex(), "hex") == KEY


@pytest.mark.parametrize(
    "text, key_format, message",
    [
        ("not base64!", "base64", "content is not valid base64"),
        (base64.b64encode(b"abc").decode(), "base64", "content decodes (base64) to 3 bytes"),
        (B64[:-1], "base64", "content is not valid base64"),  # bad padding
        (B64[:40] + "=" + B64[40:], "base64", "content is not valid base64"),  # '=' inside
        (base64.b64encode(b"k" * 1025).decode(), "base64", "content decodes (base64) to 1025 bytes"),
        ("abc", "hex", "content is not hex"),
        ("zz" * 32, "hex", "content is not hex"),
        ("ab" * 31, "hex", "content decodes (hex) to 31 bytes"),
    ],
)
def test_decode_key_refuses(text, key_format, message):
    with pytest.raises(ValueError) as info:
        decode_key(text, key_format)
    assert message in str(info.value)
    assert text not in str(info.value)


def test_auto_refuses_hex_digits_only():
    with pytest.raises(ValueError, match="read as hex it is 32 bytes, read as base64 a different key of 48 bytes"):
        resolve_key_format("0123456789abcdef" * 4)
    assert resolve_key_format(B64) == "base64"
    assert resolve_key_format("0123456789abcdef" * 4, "hex") == "hex"


def settings(**changes):
    base = {"munge_key": "", "munge_key_format": "auto", "munge_key_file": "", "munge_key_host": "h1"}
    return dict(base, **changes)


def test_plan_key_from_the_key_host():
    assert plan(settings(), ["h1", "h2"]) == {"problems": [], "key_origin": "host", "key_format": "base64"}


def test_plan_key_host_not_in_play():
    result = plan(settings(munge_key_host="h9"), ["h1"])
    assert result["problems"] == [
        "munge_key_host: 'h9' is not in this play (play hosts: h1); its key is the one every host gets. Add it to "
        "the play, or set munge_key (base64) or munge_key_file."
    ]


def test_plan_key_file(tmp_path):
    key_file = tmp_path / "munge.key"
    assert plan(settings(munge_key_file=str(key_file)), ["h1"])["problems"][0].startswith(
        f"munge_key_file: '{key_file}' is not a file on the Ansible controller"
    )
    key_file.write_bytes(KEY)
    assert plan(settings(munge_key_file=str(key_file)), ["h1"]) == {
        "problems": [],
        "key_origin": "file",
        "key_format": "base64",
    }


@pytest.mark.parametrize(
    "key, key_format, message",
    [
        (base64.b64encode(b"k" * 16).decode(), "auto", "munge_key decodes (base64) to 16 bytes"),
        ("0123456789abcdef" * 4, "auto", "munge_key holds only hex digits (64 characters)"),
        ("0123456789abcdef", "hex", "munge_key decodes (hex) to 8 bytes"),
        ("QUJD=REVG" * 8, "base64", "munge_key is not valid base64"),
    ],
)
def test_plan_bad_key_names_the_variable_and_length_never_the_key(key, key_format, message):
    result = plan(settings(munge_key=key, munge_key_format=key_format), ["h1"])
    assert len(result["problems"]) == 1
    assert message in result["problems"][0]
    assert key not in result["problems"][0]
    assert result["key_origin"] == "variable"


def test_plan_hex_key():
    result = plan(settings(munge_key=KEY.hex(), munge_key_format="hex"), ["h1"])
    assert result == {"problems": [], "key_origin": "variable", "key_format": "hex"}
