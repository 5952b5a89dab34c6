"""Seed the deadline rules and the dispatch catalogue (派单目录) in the style of 12345 / 接诉即办.

Deadline rules (city administrators change them; the resolution spans are the issue's defaults, the
response spans are chosen so the first receiver answers well inside them):

* emergency (紧急): accept within 1 hour, resolve within 2 hours, remind 1 hour before;
* utilities (水电气热停供): accept within 2 hours, resolve within 24 hours, remind 4 hours before;
* general (一般): accept within 24 hours, resolve within 7 working days, remind 24 hours before;
* complex (疑难复杂): accept within 24 hours, resolve within 15 working days, remind 48 hours before.

The catalogue has three levels; a third-level entry may carry a default urgency (a gas smell is
an emergency, a heating outage a utilities matter, an elevator retrofit a complex one).
"""

from django.db import migrations

RULES = (
    # urgency, accept_hours, resolve_hours, resolve_days, working_days, remind_before_hours
    ("emergency", 1, 2, None, False, 1),
    ("utilities", 2, 24, None, False, 4),
    ("general", 24, None, 7, True, 24),
    ("complex", 24, None, 15, True, 48),
)

E, U, G, C = "emergency", "utilities", "general", "complex"

CATALOGUE: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]], ...] = (
    ("住房与物业", (
        ("老旧小区改造", (("加装电梯", C), ("外墙保温及立面整治", C), ("管网改造", C), ("小区道路及停车位改造", G), ("改造施工扰民", G))),
        ("物业管理", (("物业服务质量", G), ("物业费收取争议", G), ("弃管小区托管", C), ("业主委员会成立", C), ("公共收益公示", G))),
        ("房屋安全", (("房屋漏水渗水", G), ("楼体裂缝及危房", E), ("违规改变承重结构", G))),
        ("供暖供水供气", (("供暖不热或停暖", U), ("停水或水压不足", U), ("燃气泄漏", E), ("二次供水水质", U))),
        ("不动产登记", (("办证遗留问题", C), ("产权证办理进度", G))),
    )),
    ("城市管理", (
        ("停车管理", (("电动车充电桩", G), ("非机动车棚建设", G), ("占用消防通道停车", G), ("共享单车乱停放", G))),
        ("市容环卫", (("垃圾清运不及时", G), ("垃圾分类设施", G), ("公厕管理", G), ("道路保洁", G))),
        ("园林绿化", (("树木修剪及倒伏", G), ("绿地毁损", G), ("小区绿化补植", G))),
        ("违法建设", (("私搭乱建", C), ("占用公共空间", G))),
        ("占道经营", (("流动摊贩", G), ("店外经营", G))),
        ("市政设施", (("路灯不亮", G), ("井盖缺失或破损", E), ("道路坑洼破损", G), ("雨污水管道堵塞", U))),
    )),
    ("公共服务", (
        ("养老服务", (("社区食堂及助餐", G), ("日间照料中心", G), ("居家养老上门服务", G), ("高龄津贴发放", G))),
        ("托育服务", (("普惠托育机构", C), ("四点半课堂", G))),
        ("文体设施", (("健身器材维修", G), ("社区活动场地", G), ("文化活动组织", G))),
        ("便民服务", (("菜市场及便民网点", G), ("快递驿站", G), ("政务服务办理", G))),
    )),
    ("社会保障", (
        ("社会救助", (("低保申请及审核", G), ("临时救助", G), ("特困人员供养", G))),
        ("就业服务", (("就业援助及技能培训", G), ("拖欠农民工工资", C), ("劳动合同争议", C))),
        ("医疗保险", (("医保报销", G), ("城乡居民医保参保", G))),
        ("养老保险", (("养老金发放", G), ("养老保险关系转移", G))),
        ("残疾人服务", (("无障碍设施", G), ("残疾人补贴", G))),
    )),
    ("医疗卫生", (
        ("社区卫生服务", (("家庭医生签约", G), ("社区医院服务", G), ("疫苗接种", G))),
        ("公共卫生", (("病媒生物防治", G), ("饮用水卫生", U))),
        ("食品药品安全", (("餐饮卫生", G), ("过期食品药品", G))),
    )),
    ("教育", (
        ("入学入园", (("学区划分及入学", C), ("幼儿园学位", C))),
        ("校园周边", (("上下学交通安全", G), ("校外培训机构", G))),
    )),
    ("交通出行", (
        ("公共交通", (("公交线路及站点", C), ("公交运营服务", G))),
        ("道路交通", (("交通信号灯故障", U), ("交通标志标线", G), ("道路拥堵治理", C))),
        ("慢行系统", (("人行道及盲道", G), ("非机动车道", G))),
    )),
    ("安全隐患", (
        ("消防安全", (("消防设施损坏", E), ("楼道堆物及飞线充电", E), ("电动车进楼入户", G))),
        ("用电安全", (("私拉电线", G), ("配电设施隐患", E))),
        ("高空坠物", (("外墙脱落", E), ("高空抛物", G))),
        ("治安防控", (("监控设施", G), ("门禁及封闭管理", G))),
    )),
    ("生态环境", (
        ("噪声污染", (("施工噪声", G), ("商业噪声", G), ("夜间噪声", G))),
        ("大气污染", (("油烟扰民", G), ("露天焚烧", G), ("扬尘污染", G))),
        ("水环境", (("河道污染", C), ("污水直排", G))),
    )),
    ("邻里纠纷", (
        ("邻里关系", (("楼上楼下漏水纠纷", G), ("宠物饲养扰民", G), ("公共部位占用", G))),
        ("家庭矛盾", (("婚姻家庭纠纷", G), ("赡养抚养纠纷", G))),
        ("物业与业主纠纷", (("维修基金使用", C), ("车位归属争议", C))),
    )),
)


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("matters", "DeadlineRule")
    MatterCategory = apps.get_model("matters", "MatterCategory")
    for urgency, accept, hours, days, working, remind in RULES:
        DeadlineRule.objects.get_or_create(urgency=urgency, defaults={
            "accept_hours": accept, "resolve_hours": hours, "resolve_days": days, "working_days": working, "remind_before_hours": remind,
        })
    for i, (top, seconds) in enumerate(CATALOGUE, start=1):
        root, _c = MatterCategory.objects.get_or_create(parent=None, name=top, defaults={"level": 1, "full_name": top, "sort_order": i * 100})
        for j, (second, thirds) in enumerate(seconds, start=1):
            full2 = f"{top} › {second}"
            mid, _c = MatterCategory.objects.get_or_create(parent=root, name=second, defaults={
                "level": 2, "full_name": full2, "sort_order": i * 100 + j * 10})
            for k, (third, urgency) in enumerate(thirds, start=1):
                MatterCategory.objects.get_or_create(parent=mid, name=third, defaults={
                    "level": 3, "full_name": f"{full2} › {third}", "sort_order": i * 100 + j * 10 + k, "default_urgency": urgency})


def unseed(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("matters", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
