"""galaxy.yml merging: deep merge, unset, no rewrite when nothing changes."""

import pytest
import yaml

from ansible_collections.gxhpc.cluster.plugins.module_utils.galaxy_config import (
    GalaxyConfigError,
    apply_changes,
    deep_merge,
    merge_text,
    parse,
)

GALAXY_YML = """\
# written by hand
gravity:
  galaxy_root: /srv/galaxy/server
  handlers:
    handler:
      processes: 2
galaxy:
  brand: Test
  admin_users: [a@example.org]
"""


def test_deep_merge_merges_dicts_and_replaces_lists_and_scalars():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    merged = deep_merge(base, {"a": {"c": [3], "e": 5}, "d": "y"})
    assert merged == {"a": {"b": 1, "c": [3], "e": 5}, "d": "y"}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}, "the input must not be modified"


def test_settings_keep_unknown_keys_and_merge_nested():
    data = parse(GALAXY_YML)
    after = apply_changes(
        data,
        settings={
            "galaxy": {"job_config_file": "/srv/galaxy/config/job_conf.yml"},
            "gravity": {"umask": "027", "handlers": {"handler": {"pools": ["job-handlers"]}}},
        },
    )
    assert after["galaxy"] == {
        "brand": "Test",
        "admin_users": ["a@example.org"],
        "job_config_file": "/srv/galaxy/config/job_conf.yml",
    }
    assert after["gravity"]["handlers"]["handler"] == {"processes": 2, "pools": ["job-handlers"]}
    assert after["gravity"]["galaxy_root"] == "/srv/galaxy/server"
    assert after["gravity"]["umask"] == "027"


def test_new_section_is_created():
    assert apply_changes({}, settings={"galaxy": {"x": 1}}) == {"galaxy": {"x": 1}}


def test_unset_removes_keys_and_ignores_missing():
    after = apply_changes(parse(GALAXY_YML), unset={"galaxy": ["brand", "nope"], "nosection": ["x"]})
    assert "brand" not in after["galaxy"]
    assert after["galaxy"]["admin_users"] == ["a@example.org"]


def test_unset_after_settings():
    after = apply_changes({"galaxy": {"a": 1}}, settings={"galaxy": {"b": 2}}, unset={"galaxy": ["a"]})
    assert after == {"galaxy": {"b": 2}}


def test_no_change_keeps_text_byte_identical():
    changed, text = merge_text(GALAXY_YML, settings={"galaxy": {"brand": "Test"}})
    assert not changed
    assert text == GALAXY_YML


def test_change_rewrites_and_round_trips():
    changed, text = merge_text(GALAXY_YML, settings={"gravity": {"umask": "027"}})
    assert changed
    data = yaml.safe_load(text)
    assert data["gravity"]["umask"] == "027", "an octal-looking string must stay a string"
    assert list(data) == ["gravity", "galaxy"], "section order is kept"
    changed_again, text_again = merge_text(text, settings={"gravity": {"umask": "027"}})
    assert not changed_again and text_again == text


def test_empty_file_is_empty_mapping():
    assert parse("") == {}
    assert parse("# only a comment\n") == {}


def test_not_a_mapping_is_an_error():
    with pytest.raises(GalaxyConfigError, match="must hold a mapping"):
        parse("- a\n- b\n")


def test_invalid_yaml_is_an_error():
    with pytest.raises(GalaxyConfigError, match="not valid YAML"):
        parse("galaxy: [\n")


def test_cannot_merge_into_scalar_section():
    with pytest.raises(GalaxyConfigError, match="section 'galaxy'"):
        apply_changes({"galaxy": "oops"}, settings={"galaxy": {"a": 1}})


def test_bad_unset_type():
    with pytest.raises(GalaxyConfigError, match="unset.galaxy"):
        apply_changes({"galaxy": {}}, unset={"galaxy": 5})
