import pytest

from gongjian.testing import factories


@pytest.fixture
def tree(db):
    return factories.tree()


@pytest.fixture(autouse=True)
def _fresh_scopes_and_cache():
    from django.core.cache import cache

    cache.clear()
    yield
