"""Fake passwd and group databases for the real-user scripts' tests (no accounts are created)."""

import functools
from collections import namedtuple

Pw = namedtuple("Pw", "pw_name pw_passwd pw_uid pw_gid pw_gecos pw_dir pw_shell")
Gr = namedtuple("Gr", "gr_name gr_passwd gr_gid gr_mem")


class Accounts:
    """pwd-, grp- and os.getgrouplist-like lookups over fixed lists of Pw and Gr entries."""

    def __init__(self, users, groups):
        self.users = users
        self.groups = groups

    def getpwuid(self, uid):
        return self._find(self.users, "pw_uid", uid)

    def getpwnam(self, name):
        return self._find(self.users, "pw_name", name)

    def getgrgid(self, gid):
        if gid > 2**32:
            raise OverflowError("gid too large")  # as the C library's gid_t conversion does
        return self._find(self.groups, "gr_gid", gid)

    def getgrnam(self, name):
        return self._find(self.groups, "gr_name", name)

    def getgrouplist(self, name, gid):
        return [gid] + [g.gr_gid for g in self.groups if name in g.gr_mem and g.gr_gid != gid]

    @staticmethod
    def _find(entries, field, value):
        for entry in entries:
            if getattr(entry, field) == value:
                return entry
        raise KeyError(value)

    def install(self, monkeypatch, lib):
        """Make ``lib`` (the scripts' library) use these accounts; settings files need not be root-owned."""
        monkeypatch.setattr(lib, "pwd", self)
        monkeypatch.setattr(lib, "grp", self)
        monkeypatch.setattr(lib.os, "getgrouplist", self.getgrouplist)
        monkeypatch.setattr(lib, "load_config", functools.partial(lib.load_config, require_root_owned=False))
        logged = []
        monkeypatch.setattr(lib.Log, "_send", lambda log, priority, message: logged.append((log.ident, message)))
        return logged
