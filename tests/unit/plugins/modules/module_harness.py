"""Run a module's main() in-process: exit_json and fail_json raise ModuleExit with the result."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(json.dumps(result, default=str))
        self.result = result
        self.failed = failed


def raise_on_exit(monkeypatch):
    """Make AnsibleModule.exit_json and fail_json raise ModuleExit instead of exiting."""

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs, False)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise ModuleExit(kwargs, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_main(main, args, check_mode=False):
    """Call ``main`` with module ``args``; return the ModuleExit it ends with."""
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(ModuleExit) as info:
        main()
    return info.value
