import pytest

from gongjian.accounts.choices import Role
from gongjian.testing import factories


@pytest.fixture
def admins(tree):
    """One administrator per level, on the 二七区 branch of the test tree."""
    return {
        "city": factories.user(Role.CITY_ADMIN, region=tree.city, username="city_admin"),
        "district": factories.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="erqi_admin"),
        "subdistrict": factories.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="huaihe_admin"),
        "community": factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="huaihe_comm_admin"),
    }


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
