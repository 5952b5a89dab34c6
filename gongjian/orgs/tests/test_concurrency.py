"""Two administrators register the same person at the same moment: the database decides.

Needs real concurrent transactions, so PostgreSQL (TEST_DATABASE_URL); SQLite in memory serialises
every write on one connection and cannot show a race."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from gongjian.accounts.choices import Role
from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.core.models import AuditEvent
from gongjian.orgs import services
from gongjian.orgs.models import Member
from gongjian.testing import factories as f
from gongjian.testing.race import needs_postgres, race

pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.django_db(transaction=True)]


def test_two_admins_creating_the_same_member_at_once(tree: Any) -> None:
    assert connection.vendor == "postgresql"
    org = f.party_org(tree.comm_a1, "淮河社区第一党支部")
    admins = [f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1), f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a)]
    idn = f.new_id_number("410103", "female", dt.date(1990, 9, 9))

    def register(i: int) -> Any:
        with translation.override("zh-hans"):
            try:
                return services.member_create(actor=admins[i], name=f"同一人{i}", id_number=idn, org=org.pk)
            except ValidationError as exc:
                return str(exc.details["id_number"][0])

    # Both pass the "already registered?" check before either inserts: the unique index must decide.
    outcomes = race(*(lambda i=i: register(i) for i in range(len(admins))), hold=(services, "clean_member"))

    created = [o for o in outcomes if isinstance(o, Member)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert "已登记" in refused[0]
    assert Member.objects.filter(id_number_hash=pii.lookup_hash(idn)).count() == 1
    assert AuditEvent.objects.filter(verb="orgs.member.create").count() == 1
