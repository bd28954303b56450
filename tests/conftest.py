import pytest

from tests.factories import OfficialFactory, OrganisationFactory, PositionFactory, UserFactory


@pytest.fixture
def citizen(db):
    return UserFactory()


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


def official_with_role(role, organisation=None, **kwargs):
    organisation = organisation or OrganisationFactory()
    position = PositionFactory(role=role, organisation=organisation, user=OfficialFactory(**kwargs))
    return position.user


@pytest.fixture
def platform_admin(db):
    from motcua.agencies.models import Role

    return official_with_role(Role.PLATFORM_ADMIN)


@pytest.fixture
def auditor(db):
    from motcua.agencies.models import Role

    return official_with_role(Role.AUDITOR)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and lockout counters live in the cache: every test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
