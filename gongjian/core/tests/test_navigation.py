"""The sidebar comes from the registry and marks one entry active."""

import pytest


@pytest.mark.django_db
def test_one_navigation_entry_is_active_the_most_specific(client, tree):
    from gongjian.accounts.choices import Role
    from gongjian.testing import factories

    client.force_login(factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1))
    nav = client.get("/orgs/members/").context["nav_entries"]
    active = [e["url"] for e in nav if e["active"]]
    assert active == ["/orgs/members/"]
