"""The audit page reads as sentences: what happened to what, and which fields changed from what to what."""

import pytest
from django.utils import translation

from gongjian.accounts.choices import Role
from gongjian.core import audit
from gongjian.core.templatetags.audit_display import change_lines, verb_label
from gongjian.testing import factories


@pytest.mark.django_db
def test_verbs_and_changes_read_as_words(client, tree):
    admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    member = factories.member(factories.party_org(tree.comm_a1), name="王秀英")
    e1 = audit.record(actor=admin, verb="orgs.member.update", target=member,
                      changes={"name": {"before": "王秀", "after": "王秀英"}, "id_number": {"before": "x", "after": "y"}})
    e2 = audit.record(actor=admin, verb="pii.read", target=member, changes={"fields": ["id_number", "phone"]})
    e3 = audit.record(actor=admin, verb="something.unheard_of", target=member)
    with translation.override("zh-hans"):
        assert verb_label(e1) == "修改 · 党员"
        assert verb_label(e2) == "查看完整个人信息"
        assert verb_label(e3) == "something.unheard_of"  # unknown verbs stay readable as they are
    lines = change_lines(e1.changes)
    assert "name: 王秀 → 王秀英" in lines
    assert all("x" not in line.split(": ", 1)[1] for line in lines if line.startswith("id_number"))  # masked by audit.record
    assert change_lines({f"f{i}": i for i in range(12)})[-1] == "… (+4)"
    assert change_lines(None) == [] and change_lines("text") == ["text"]

    client.force_login(admin)
    html = client.get("/audit/").content.decode()
    assert "修改 · 党员" in html and "name: 王秀 → 王秀英" in html and "orgs.member.update" in html
    assert "{&#x27;name&#x27;" not in html  # no raw dictionaries


@pytest.mark.django_db
def test_change_values_are_escaped_on_the_page(client, tree):
    admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    unit = factories.unit(tree.comm_a1)
    audit.record(actor=admin, verb="orgs.unit.update", target=unit, changes={"name": {"before": "a", "after": "<script>x</script>"}})
    client.force_login(admin)
    html = client.get("/audit/").content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
