"""Every role documents exactly the variables its defaults define (the prometheus habit)."""

import os

import pytest
import yaml

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")
ROLE_NAMES = sorted(
    r for r in os.listdir(ROLES) if os.path.isfile(os.path.join(ROLES, r, "meta", "argument_specs.yml"))
)


def load(*parts):
    with open(os.path.join(ROLES, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_every_role_has_argument_specs():
    assert sorted(os.listdir(ROLES)) == ROLE_NAMES


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_keys_equal_defaults(role):
    defaults = load(role, "defaults", "main.yml")
    spec = load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(spec)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_variables_are_prefixed(role):
    defaults = load(role, "defaults", "main.yml")
    assert [k for k in defaults if not k.startswith(role + "_")] == []


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_vars_have_no_public_names(role):
    directory = os.path.join(ROLES, role, "vars")
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        public = [k for k in load(role, "vars", name) if not k.startswith("__")]
        assert public == [], f"{role}/vars/{name} defines public names {public}"
