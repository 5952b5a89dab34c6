"""List parameters are read the same way everywhere; bad values are ignored, never a 500."""

import pytest

from gongjian.core.params import bool_param, int_param


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12), (" 7 ", 7), (3, 3), ("0", None), ("-4", None), ("x", None), ("", None), (None, None),
    ("1.5", None), (str(2**63), None), (str(2**63 - 1), 2**63 - 1), ("9" * 40, None),
])
def test_int_param(value, expected):
    assert int_param(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("on", True), (True, True), ("0", False), ("no", False), (False, False), ("", None), ("maybe", None),
])
def test_bool_param(value, expected):
    assert bool_param(value) is expected


@pytest.mark.django_db
def test_cobuild_lists_ignore_ids_beyond_64_bits(client, tree):
    from gongjian.accounts.choices import Role
    from gongjian.testing import factories

    client.force_login(factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1))
    for url in ("/cobuild/needs/", "/cobuild/resources/"):
        resp = client.get(url, {"community": "9" * 30, "category": "9" * 30, "unit": "9" * 30})
        assert resp.status_code == 200, url
