import os
import shutil

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils.atomic_file import replace_text, write_atomically


class FakeModule:
    params = {}

    @staticmethod
    def atomic_move(src, dest, unsafe_writes=False):
        shutil.move(src, dest)


def test_replaces_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "slurm.conf"
    target.write_text("old\n")
    write_atomically(FakeModule(), str(target), "new\n")
    assert target.read_text() == "new\n"
    assert os.listdir(tmp_path) == ["slurm.conf"]


def test_secret_mode_set_before_writing(tmp_path):
    target = tmp_path / "munge.key"
    write_atomically(FakeModule(), str(target), b"\x00\xffkey", mode=0o400)
    assert target.read_bytes() == b"\x00\xffkey"
    assert oct(target.stat().st_mode & 0o777) == "0o400"


class Failed(Exception):
    pass


class TextModule(FakeModule):
    """What replace_text uses of AnsibleModule: check and diff mode, params, fail_json, attributes."""

    def __init__(self, check_mode=False, diff=False):
        self.check_mode = check_mode
        self._diff = diff
        self.params = {}

    def fail_json(self, msg, **result):
        raise Failed(msg)

    def load_file_common_arguments(self, params, path=None):
        return {"path": path}

    def set_fs_attributes_if_different(self, file_args, changed):
        return changed


def test_the_diff_is_always_in_the_result_by_default(tmp_path):
    target = tmp_path / "galaxy.yml"
    target.write_text("a\n")
    result = replace_text(TextModule(), str(target), True, "a\n", "a\n", {})
    assert not result["changed"] and result["diff"]["before"] == result["diff"]["after"] == "a\n"


@pytest.mark.parametrize(
    "before,diff_mode,has_diff",
    [("a\n", False, False), ("a\n", True, False), ("b\n", False, False), ("b\n", True, True)],
)
def test_diff_only_for_a_change_with_diff_mode_when_not_always(tmp_path, before, diff_mode, has_diff):
    target = tmp_path / "slurm.conf"
    target.write_text(before)
    result = replace_text(TextModule(diff=diff_mode), str(target), True, before, "a\n", {}, diff_always=False)
    assert result["changed"] == (before != "a\n")
    assert ("diff" in result) == has_diff
    if has_diff:
        assert result["diff"] == {
            "before_header": str(target),
            "after_header": str(target),
            "before": "b\n",
            "after": "a\n",
        }
    assert target.read_text() == "a\n"


def test_a_missing_directory_fails_naming_it_and_check_mode_does_not(tmp_path):
    target = tmp_path / "missing" / "slurm.conf"
    with pytest.raises(Failed, match=f"{tmp_path / 'missing'}, does not exist"):
        replace_text(TextModule(), str(target), False, "", "a\n", {})
    result = replace_text(TextModule(check_mode=True), str(target), False, "", "a\n", {})
    assert result["changed"] and result["content_changed"]
    assert not (tmp_path / "missing").exists()
