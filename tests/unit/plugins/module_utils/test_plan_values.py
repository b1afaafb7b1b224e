"""plan_values.flag: a boolean whether Jinja hands over a bool or its text."""

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils.plan_values import flag


@pytest.mark.parametrize("value", [True, 1, "true", "True", " yes ", "on", "1"])
def test_true(value):
    assert flag(value) is True


@pytest.mark.parametrize("value", [False, 0, None, "", "false", "False", "no", "off", "0"])
def test_false(value):
    assert flag(value) is False
