from stdnum.cn import uscc

from gongjian.core import pii
from gongjian.testing import factories


def test_tree_paths_and_scoped_member(tree):
    assert tree.comm_a1.path == "/410100/410103/410103001000/410103001001/"
    assert tree.erqi.contains(tree.comm_a1) and not tree.jinshui.contains(tree.comm_a1)
    org = factories.party_org(tree.comm_a1)
    m = factories.member(org, gender="female")
    idn = pii.decrypt(m.id_number_enc)
    assert pii.normalize_id_number(idn) == idn and pii.gender_from_id_number(idn) == "female"
    unit = factories.unit(tree.comm_a1)
    assert uscc.is_valid(unit.uscc)
