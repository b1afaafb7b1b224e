import os
import shutil

from ansible_collections.gxhpc.cluster.plugins.module_utils.atomic_file import write_atomically


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
