from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from gongjian.core import fakes, pii
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.orgs import services
from gongjian.orgs.models import Member, PartyOrg, Policy, ResidentUnit
from gongjian.testing import factories as f


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.value.details.items()}


@pytest.fixture
def admin(world):
    return world.users["community_admin"]


def test_member_create_encrypts_derives_and_audits(world, admin):
    idn = f.new_id_number("410103", "female", dt.date(1990, 3, 4))
    m = services.member_create(actor=admin, name=" 赵  敏 ", id_number=idn.lower(), phone="138 0000 2222", org=world.org_a1,
                               home_community=world.tree.comm_a1, join_date=dt.date(2015, 7, 1))
    m.refresh_from_db()
    assert m.name == "赵 敏"
    assert m.gender == "female" and m.birth_date == dt.date(1990, 3, 4)
    assert idn not in m.id_number_enc and pii.decrypt(m.id_number_enc) == idn
    assert m.id_number_hash == pii.lookup_hash(idn)
    assert pii.decrypt(m.phone_enc) == "13800002222"
    assert m.region_path == world.org_a1.region_path and m.home_path == world.tree.comm_a1.path
    ev = AuditEvent.objects.get(verb="orgs.member.create", target_id=str(m.pk))
    assert ev.actor == admin
    assert ev.changes["id_number"] == {"before": "***", "after": "***"}
    assert idn not in str(ev.changes) and "13800002222" not in str(ev.changes)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("41010319900304", "18 位"),  # wrong length
        ("410103199003040010", "校验码"),  # wrong check character (computed below)
        ("410103199002300000", "出生日期"),  # 30 February
        ("41010319900304001A", "数字"),
    ],
)
def test_member_create_rejects_bad_id_numbers_in_chinese_and_writes_nothing(world, admin, value, fragment):
    from django.utils import translation

    if fragment == "校验码":
        good = f.new_id_number("410103", "male", dt.date(1990, 3, 4))
        value = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = Member.objects.count()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.member_create(actor=admin, name="测试", id_number=value, org=world.org_a1)
    with translation.override("zh-hans"):
        msg = _errors(exc)["id_number"][0]
    assert "身份证号" in msg and fragment in msg
    assert Member.objects.count() == before
    assert not AuditEvent.objects.filter(verb="orgs.member.create").exists()


def test_member_gender_and_birth_are_cross_checked(world, admin):
    idn = f.new_id_number("410103", "male", dt.date(1980, 1, 2))
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=admin, name="甲", id_number=idn, gender="female", birth_date=dt.date(1980, 1, 3), org=world.org_a1)
    errs = _errors(exc)
    assert set(errs) == {"gender", "birth_date"}


def test_member_join_date_rules(world, admin):
    idn = f.new_id_number("410103", "male", dt.date(2000, 6, 1))
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=admin, name="甲", id_number=idn, org=world.org_a1, join_date=dt.date(2015, 1, 1))
    assert "join_date" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=admin, name="甲", id_number=idn, org=world.org_a1, join_date=timezone.localdate() + dt.timedelta(days=3))
    assert "join_date" in _errors(exc)


def test_duplicate_id_number_message_does_not_leak_other_org(world):
    idn = pii.decrypt(world.m_b1.id_number_enc)  # registered in 金水区
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=world.users["community_admin"], name="冒名", id_number=idn, org=world.org_a1)
    msg = _errors(exc)["id_number"][0]
    assert "already registered" in msg or "已登记" in msg
    assert world.org_b1.name not in msg and world.m_b1.name not in msg
    # someone who can see the existing member is told who it is
    own = pii.decrypt(world.m_a1.id_number_enc)
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=world.users["community_admin"], name="重复", id_number=own, org=world.org_a1)
    assert world.m_a1.name in _errors(exc)["id_number"][0]


def test_member_create_outside_scope_or_without_role(world):
    idn = f.new_id_number()
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=world.users["community_admin"], name="甲", id_number=idn, org=world.org_b1)
    assert "org" in _errors(exc)
    with pytest.raises(PermissionDenied):
        services.member_create(actor=world.users["unit_liaison"], name="甲", id_number=idn, org=world.unit_a.pk)
    with pytest.raises(PermissionDenied):
        services.member_create(actor=world.users["member"], name="甲", id_number=idn, org=world.org_a1)


def test_member_update_records_sensitive_change_without_values(world, admin):
    m = services.member_update(actor=admin, member=world.m_a1, phone="13900009999", name="张伟伟")
    assert pii.decrypt(m.phone_enc) == "13900009999"
    ev = AuditEvent.objects.get(verb="orgs.member.update", target_id=str(m.pk))
    assert ev.changes["phone"] == {"before": "***", "after": "***"}
    assert ev.changes["name"] == {"before": "张伟", "after": "张伟伟"}
    assert "13900009999" not in str(ev.changes)
    # no change, no event
    services.member_update(actor=admin, member=m, name="张伟伟")
    assert AuditEvent.objects.filter(verb="orgs.member.update", target_id=str(m.pk)).count() == 1


def test_member_update_out_of_scope_is_not_found(world, admin):
    with pytest.raises(NotFound):
        services.member_update(actor=admin, member=world.m_b1, name="x")


def test_member_transfer_and_deactivate(world):
    sub = world.users["subdistrict_admin"]
    m = services.member_transfer(actor=sub, member=world.m_a1, to_org=world.org_a2, note="搬家")
    assert m.org == world.org_a2 and m.region_path == world.org_a2.region_path
    with pytest.raises(ValidationError):
        services.member_transfer(actor=sub, member=m, to_org=world.org_b1)  # outside the subdistrict
    with pytest.raises(ValidationError):
        services.member_transfer(actor=sub, member=m, to_org=world.org_a2)  # same org
    with pytest.raises(ValidationError):
        services.member_deactivate(actor=sub, member=m, status="full")
    m = services.member_deactivate(actor=sub, member=m, status="deceased", reason="病故")
    assert not m.is_active and m.status == "deceased"
    assert Member.objects.filter(pk=m.pk).exists()  # never deleted
    with pytest.raises(ValidationError):
        services.member_update(actor=sub, member=m, name="x")
    assert AuditEvent.objects.filter(verb="orgs.member.transfer").count() == 1
    assert AuditEvent.objects.filter(verb="orgs.member.deactivate").count() == 1


def test_member_reveal_is_audited_and_restricted(world):
    sub = world.users["subdistrict_admin"]
    out = services.member_reveal(actor=sub, member=world.m_a1)
    assert out["id_number"] == pii.decrypt(world.m_a1.id_number_enc)
    ev = AuditEvent.objects.get(verb="pii.read")
    assert ev.target_id == str(world.m_a1.pk) and ev.actor == sub
    with pytest.raises(PermissionDenied):
        services.member_reveal(actor=world.users["district_admin"], member=world.m_a1)
    with pytest.raises(NotFound):
        services.member_reveal(actor=world.users["community_admin_b"], member=world.m_a1)


def test_party_org_tree_rules(world):
    admin = world.users["district_admin"]
    gb = services.party_org_create(actor=admin, name="某总支", rank="general_branch", parent=world.committee_a, region=world.tree.comm_a1,
                                   sector="community")
    assert gb.org_path == world.committee_a.org_path + f"{gb.pk}/"
    br = services.party_org_create(actor=admin, name="某支部", rank="branch", parent=gb, region=world.tree.comm_a1, sector="community")
    assert br.org_path.startswith(gb.org_path)
    with pytest.raises(ValidationError) as exc:
        services.party_org_create(actor=admin, name="坏", rank="committee", parent=br, region=world.tree.comm_a1, sector="community")
    assert "rank" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.party_org_create(actor=admin, name="某支部", rank="branch", parent=gb, region=world.tree.comm_a1, sector="community")
    assert "name" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.party_org_create(actor=admin, name="外区", rank="branch", region=world.tree.comm_b1, sector="community")
    assert "region" in _errors(exc)
    # moving a subtree rewrites paths; a cycle is refused
    other = services.party_org_create(actor=admin, name="另一党委", rank="committee", region=world.tree.erqi, sector="organ")
    services.party_org_update(actor=admin, org=gb, parent=other)
    br.refresh_from_db()
    assert br.org_path == other.org_path + f"{gb.pk}/{br.pk}/"
    with pytest.raises(ValidationError) as exc:
        services.party_org_update(actor=admin, org=other, parent=br)
    assert "parent" in _errors(exc) or "rank" in _errors(exc)
    with pytest.raises(ValidationError):
        services.party_org_update(actor=admin, org=gb, rank="branch")  # it has a branch below


def test_party_org_secretary_and_deactivate(world):
    admin = world.users["community_admin"]
    with pytest.raises(ValidationError) as exc:
        services.party_org_update(actor=admin, org=world.org_a1, secretary=world.m_a2)
    assert "secretary" in _errors(exc)
    org = services.party_org_update(actor=admin, org=world.org_a1, secretary=world.m_a1)
    assert org.secretary == world.m_a1
    with pytest.raises(ValidationError):
        services.party_org_deactivate(actor=admin, org=world.org_a1)  # has members
    services.member_deactivate(actor=admin, member=world.m_a1, status="transferred_out")
    assert PartyOrg.objects.get(pk=world.org_a1.pk).secretary is None
    org = services.party_org_deactivate(actor=admin, org=world.org_a1, reason="撤并")
    assert not org.is_active and PartyOrg.objects.filter(pk=org.pk).exists()


def test_party_org_region_change_moves_members(world):
    admin = world.users["subdistrict_admin"]
    services.party_org_update(actor=admin, org=world.org_a1, region=world.tree.comm_a2)
    world.m_a1.refresh_from_db()
    assert world.m_a1.region_path == world.tree.comm_a2.path


def test_unit_create_validates_uscc_and_encrypts_phone(world):
    admin = world.users["community_admin"]
    import random

    code = fakes.uscc_code(random.Random(1), area_code="410103")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.resident_unit_create(actor=admin, name="单位", uscc=bad, kind="enterprise", region=world.tree.comm_a1)
    assert "uscc" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.resident_unit_create(actor=admin, name="单位", uscc=world.unit_b.uscc, kind="enterprise", region=world.tree.comm_a1,
                                      lat="200")
    assert {"uscc", "lat"} <= set(_errors(exc))
    u = services.resident_unit_create(actor=admin, name="单位", uscc=code.lower(), kind="enterprise", region=world.tree.comm_a1,
                                      liaison_name="李四", liaison_phone="13711112222", lat="34.77", lng="113.68")
    assert u.uscc == code and "13711112222" not in u.liaison_phone_enc
    assert pii.decrypt(u.liaison_phone_enc) == "13711112222"
    ev = AuditEvent.objects.get(verb="orgs.unit.create")
    assert "13711112222" not in str(ev.changes)
    u = services.resident_unit_deactivate(actor=admin, unit=u)
    assert not u.is_active and ResidentUnit.objects.filter(pk=u.pk).exists()


def test_unit_with_orgs_cannot_be_deactivated(world):
    admin = world.users["community_admin"]
    f.party_org(world.tree.comm_a1, "机关支部", unit=world.unit_a, sector="organ")
    with pytest.raises(ValidationError):
        services.resident_unit_deactivate(actor=admin, unit=world.unit_a)


def test_policy_create_tokens_and_scope(world):
    admin = world.users["district_admin"]
    p = services.policy_create(actor=admin, title="关于加强城市基层党建工作的意见", level="district", issuer="二七区委",
                               issued_on=dt.date(2024, 5, 1), body="推动街道社区党组织全面覆盖。", region=world.tree.erqi)
    assert " 党建 " in p.search_tokens and p.token_count > 5
    with pytest.raises(ValidationError) as exc:
        services.policy_create(actor=admin, title="", level="x", issuer="", issued_on=None, body="", region=world.tree.jinshui)
    assert {"title", "level", "issuer", "issued_on", "body", "region"} <= set(_errors(exc))
    with pytest.raises(PermissionDenied):
        services.policy_create(actor=world.users["community_admin"], title="t", level="city", issuer="i", issued_on=dt.date(2024, 1, 1),
                               body="b", region=world.tree.comm_a1)
    with pytest.raises(NotFound):
        services.policy_update(actor=world.users["city_admin"].__class__.objects.get(username="erqi"), policy=Policy.objects.create(
            title="金水", level="district", issuer="金水", issued_on=dt.date(2024, 1, 1), body="b", region=world.tree.jinshui), title="x")
    p = services.policy_deactivate(actor=admin, policy=p)
    assert not p.is_active and Policy.objects.filter(pk=p.pk).exists()


def test_policy_attachments_type_and_size(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = world.users["district_admin"]
    p = services.policy_create(actor=admin, title="文件", level="district", issuer="区委", issued_on=dt.date(2024, 1, 1), body="正文",
                               region=world.tree.erqi)
    att = services.policy_attachment_add(actor=admin, policy=p, upload=io.BytesIO(b"%PDF-1.4 test"), filename="../../通知.pdf")
    assert att.size == 13 and ".." not in str(att.file.name)
    with pytest.raises(ValidationError):
        services.policy_attachment_add(actor=admin, policy=p, upload=io.BytesIO(b"MZ\x90\x00"), filename="virus.exe")
    with pytest.raises(ValidationError):
        services.policy_attachment_add(actor=admin, policy=p, upload=io.BytesIO(b"not a pdf"), filename="fake.pdf")
    big = io.BytesIO(b"%PDF" + b"0" * services.ATTACHMENT_MAX_BYTES)
    with pytest.raises(ValidationError):
        services.policy_attachment_add(actor=admin, policy=p, upload=big, filename="big.pdf")
    assert p.attachments.count() == 1
    services.policy_attachment_remove(actor=admin, attachment=att)
    assert p.attachments.count() == 0
