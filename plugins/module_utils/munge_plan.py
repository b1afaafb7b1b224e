# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The munge role's plan: where the key comes from, how it is encoded, and what is wrong.

Read by the role's preflight (through the ``munge_plan`` filter) and by the ``munge_key`` module
(``decode_key``), so a key that preflight accepts is exactly a key the module can write.
No message here ever contains the key or a part of it.
"""

import base64
import binascii
import os
import re

MIN_KEY_BYTES = 32
MAX_KEY_BYTES = 1024
KEY_FORMATS = ("auto", "base64", "hex")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")


def _compact(text):
    return "".join(str(text).split())


def decode_key(text, key_format="base64", name="content"):
    """Return the key bytes of ``text`` in ``key_format`` (base64 or hex), or raise ValueError.

    The message names ``name`` and says what is wrong (bad characters, bad padding, the decoded
    length), never the key.
    """
    compact = _compact(text)
    if key_format == "hex":
        if not _HEX.fullmatch(compact) or len(compact) % 2:
            raise ValueError(
                f"{name} is not hex: with munge_key_format hex it must be an even number of the digits 0-9 a-f "
                f"(got {len(compact)} characters, not all of them hex digits or an odd count)"
            )
        data = bytes.fromhex(compact)
    elif key_format == "base64":
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as exc:
            # binascii's messages describe the padding or the characters, never the data.
            raise ValueError(
                f"{name} is not valid base64 ({exc}); it must hold the key encoded with `base64 -w0 munge.key` "
                "(letters, digits, + and /, and = only as padding at the end)"
            ) from None
    else:
        raise ValueError(f"munge_key_format: {key_format!r} is not a key format; accepted: base64, hex, auto")
    if not MIN_KEY_BYTES <= len(data) <= MAX_KEY_BYTES:
        raise ValueError(
            f"{name} decodes ({key_format}) to {len(data)} bytes; "
            f"a MUNGE key has {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes"
        )
    return data


def resolve_key_format(text, key_format="auto"):
    """The format ``text`` is read in: ``key_format``, or for ``auto`` base64 unless it is ambiguous.

    A string of hex digits only (for example ``openssl rand -hex 32``) is also valid base64 and would
    decode into a different key, so ``auto`` refuses it with a ValueError asking for the format.
    """
    if key_format != "auto":
        return key_format
    compact = _compact(text)
    if _HEX.fullmatch(compact):
        as_hex = f"{len(compact) // 2} bytes" if len(compact) % 2 == 0 else "not valid"
        raise ValueError(
            f"munge_key holds only hex digits ({len(compact)} characters): read as hex it is {as_hex}, read as "
            f"base64 a different key of {len(compact) * 3 // 4} bytes. Say which it is with munge_key_format: hex "
            "or munge_key_format: base64"
        )
    return "base64"


def plan(settings, play_hosts=()):
    """Return the munge role's plan: {'problems', 'key_origin', 'key_format'}.

    ``settings`` holds the role's variables (munge_key, munge_key_format, munge_key_file,
    munge_key_host); ``play_hosts`` the play's hosts. Every problem is reported at once.
    """
    problems = []
    key = settings.get("munge_key") or ""
    key_file = settings.get("munge_key_file") or ""
    key_host = settings.get("munge_key_host") or ""
    key_format = settings.get("munge_key_format") or "auto"
    play_hosts = list(play_hosts or ())

    origin = "variable" if key else ("file" if key_file else "host")
    resolved = "base64"
    if origin == "variable":
        if not isinstance(key, str):
            problems.append(
                f"munge_key: a {type(key).__name__} is not a key; give the key as a base64 (or hex) string."
            )
        else:
            try:
                resolved = resolve_key_format(key, key_format)
                decode_key(key, resolved, name="munge_key")
            except ValueError as exc:
                problems.append(f"{exc}.")
    elif origin == "file":
        if not os.path.isfile(key_file):
            problems.append(
                f"munge_key_file: {key_file!r} is not a file on the Ansible controller; give a key file's path, "
                "or leave it empty."
            )
    elif key_host not in play_hosts:
        problems.append(
            f"munge_key_host: {key_host!r} is not in this play (play hosts: {', '.join(play_hosts)}); its key is the "
            "one every host gets. Add it to the play, or set munge_key (base64) or munge_key_file."
        )
    return {"problems": problems, "key_origin": origin, "key_format": resolved}
