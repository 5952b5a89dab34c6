"""Demo-city steps of the co-building module (see ``gongjian/demo/README.md``).

``cobuild`` (order 110): resources of the resident units (provincial units lending venues, a bank
lending a 4,000 m² building, hospitals' free clinics, law firms' legal advice, schools' venues and
SOEs' funds …), community needs and residents' micro-wishes, projects in every status with their
milestones and progress notes, ratings, and staff's match decisions.

``cobuild.partners`` (order 120): every resident unit's report-in (through its party organisation) to its community (confirmed,
awaiting confirmation, a few rejected or ended) and one partnership per organ branch (联建) with
its yearly agreements.

Everything is planned in memory with primary keys handed out in advance and inserted in batches.
Records are what the services would have written: a rated project was agreed, started, completed
and rated in that order after its needs were published; its needs are met; the capacity it
committed is taken from its resources' remaining capacity (a cancelled project gave it back and
returned its needs to the published list). At ``city`` scale the figures reach the seed: 630
partnerships (one per organ branch), 4,700 problems solved, 24 provincial units lending 10,000 m²,
a bank lending a 4,000 m² building. ``small`` keeps the same shape per community.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.cn import uscc

from gongjian.accounts.models import User
from gongjian.core import fakes, pii
from gongjian.demo import city
from gongjian.demo.steps import DemoContext, given_timestamps
from gongjian.orgs.models import ResidentUnit

from .choices import (
    CapacityUnit,
    MatchVerdict,
    NeedSource,
    NeedStatus,
    ProjectStatus,
    ResourceKind,
    ResourceStatus,
    Urgency,
)
from .models import (
    Category,
    MatchDecision,
    Need,
    Project,
    ProjectMilestone,
    ProjectNeed,
    ProjectNote,
    ProjectResource,
    Resource,
)

TZ = ZoneInfo("Asia/Shanghai")
# The demo's "now" is the foundation's (city.TODAY): the same seed builds the same records on any day.
NOW = dt.datetime.combine(city.TODAY, dt.time(18, 0), tzinfo=TZ) - dt.timedelta(days=1)
START = dt.datetime(2019, 7, 1, 9, 0, tzinfo=TZ)  # the co-building programme starts

# The seed's figures at city scale.
PROBLEMS_SOLVED_CITY = 4_700
CITY_URBAN_COMMUNITIES = 1_124  # 1,123 urban committees of the table + 馨湾社区
PROVINCIAL_VENUES = {"small": (4, 1_600), "city": (24, 10_000)}  # (provincial units lending venues, total m²)
BANK_BUILDING_M2 = 4_000
# Projects in the other statuses, per rated project.
OTHER_STATUSES = ((ProjectStatus.DONE, 0.04), (ProjectStatus.IN_PROGRESS, 0.07), (ProjectStatus.AGREED, 0.03),
                  (ProjectStatus.PROPOSED, 0.035), (ProjectStatus.CANCELLED, 0.03))
SEED_COMMUNITY_WEIGHT = 4.0  # the seed communities (淮河, 馨湾, 省供销社, 通信花园, 路砦) are busier

LAW_FIRMS = ("河南金博大律师事务所", "河南仟问律师事务所", "河南英泰律师事务所", "河南亚太人律师事务所", "北京大成（郑州）律师事务所",
             "河南豫龙律师事务所", "河南良承律师事务所", "河南天欣律师事务所", "河南明商律师事务所", "河南点石律师事务所",
             "河南千业律师事务所", "河南剑达律师事务所", "河南中豫律师事务所", "河南文丰律师事务所", "河南博云天律师事务所",
             "河南华浩律师事务所", "河南今邦律师事务所", "河南国基律师事务所", "河南泰昌律师事务所", "河南陆达律师事务所",
             "河南中原法汇律师事务所", "河南昊然律师事务所", "河南正臻律师事务所", "河南润之林律师事务所")


# ---------------------------------------------------------------------------------------------
# What units offer: (resource kind, category, title, description, capacity range, capacity unit)
# ``{u}`` is the unit's name. A capacity range of None: a service without a counted capacity.
# ---------------------------------------------------------------------------------------------
Offer = tuple[str, str, str, str, tuple[int, int] | None, str]

OFFERS: dict[str, tuple[Offer, ...]] = {
    "provincial": (
        ("volunteers", "助老", "{u}机关党员志愿服务队", "在职党员每月到社区开展助老、环境整治和文明劝导志愿服务。", (40, 160), "people"),
        ("expertise", "技术支持", "{u}政策宣讲与业务指导", "机关业务骨干进社区开展政策解读、办事指导。", (60, 300), "hours"),
    ),
    "organ": (
        ("volunteers", "环境卫生", "{u}党员志愿服务队", "机关在职党员下沉社区，参与楼院清洁、垃圾分类督导和文明创建。", (20, 80), "people"),
        ("expertise", "技术支持", "{u}业务骨干进社区", "结合部门职能开展政策宣讲和办事指导。", (40, 200), "hours"),
        ("venue", "场地", "{u}会议室错峰开放", "工作日晚间及周末向社区开放会议室，可用于居民议事和培训。", (60, 200), "m2"),
    ),
    "bank": (
        ("funds", "资金", "{u}社区公益资金", "用于社区助老、助学和困难群众帮扶的公益资金。", (20_000, 200_000), "yuan"),
        ("expertise", "安全", "{u}金融知识与防范电信诈骗宣讲", "网点党员进社区讲解防诈骗、反假币和养老金融知识。", (40, 160), "hours"),
    ),
    "hospital": (
        ("service", "医疗健康", "{u}义诊进社区", "每月组织专家团队到社区开展义诊：测血压血糖、慢病随访、用药指导。", (60, 400), "hours"),
        ("expertise", "医疗健康", "{u}健康讲座与急救培训", "心肺复苏、海姆立克急救法培训及季节性疾病预防讲座。", (40, 200), "hours"),
        ("volunteers", "助老", "{u}医护志愿者上门服务", "为失能、半失能老人提供上门健康评估和护理指导。", (10, 60), "people"),
    ),
    "school": (
        ("venue", "场地", "{u}操场与体育馆课后开放", "课后及节假日向周边居民开放操场、篮球场和体育馆。", (800, 3_000), "m2"),
        ("volunteers", "青少年", "{u}教师志愿者（四点钟课堂）", "教师党员轮流到社区四点钟课堂辅导作业、开展兴趣课。", (10, 50), "people"),
    ),
    "soe": (
        ("funds", "资金", "{u}共建资金", "用于老旧小区改造配套、充电设施建设和社区公益项目的共建资金。", (50_000, 800_000), "yuan"),
        ("equipment", "设施改造", "{u}电动车充电桩捐建", "为老旧小区捐建电动自行车智能充电桩并负责维护。", (20, 200), "items"),
        ("volunteers", "安全", "{u}党员突击队", "水电气暖设施检修、防汛和应急抢修志愿服务。", (20, 100), "people"),
    ),
    "institution": (
        ("service", "文体活动", "{u}公共文化服务进社区", "送书、送展览、送培训进社区。", (50, 300), "hours"),
        ("goods", "文体活动", "{u}图书与文体器材捐赠", "向社区书屋和活动室捐赠图书、棋牌和文体器材。", (100, 2_000), "items"),
    ),
    "enterprise": (
        ("goods", "物资", "{u}爱心物资", "为困难家庭、独居老人提供米面油和生活用品。", (50, 600), "items"),
        ("service", "助老", "{u}助老送餐服务", "依托企业食堂为社区老人配餐送餐，按成本价收费，困难老人免费。", (200, 3_000), "items"),
        ("funds", "资金", "{u}公益捐款", "企业党支部发动员工捐款，支持社区微心愿和公益项目。", (5_000, 60_000), "yuan"),
        ("expertise", "就业创业", "{u}职业技能培训", "面向社区失业人员、待业青年的技能培训和岗位推荐。", (40, 200), "hours"),
    ),
    "social_org": (
        ("service", "心理关爱", "{u}心理关爱服务", "专业社工为空巢老人、困境儿童提供心理疏导和陪伴服务。", (100, 600), "hours"),
        ("volunteers", "助残", "{u}志愿服务队", "陪伴就医、助残出行、助老探访等志愿服务。", (20, 120), "people"),
    ),
    "law_firm": (
        ("expertise", "法律服务", "{u}社区法律顾问", "律师每周到社区坐班，提供法律咨询、纠纷调解和法治宣传。", (100, 500), "hours"),
        ("service", "法律服务", "{u}公益法律援助", "为困难群众代写文书、代理劳动争议和婚姻家庭纠纷。", (40, 200), "hours"),
    ),
}
STREETS = ("金水路", "花园路", "农业路", "经三路", "商务外环路")
PROVINCIAL_VENUE_TITLES = ("机关活动中心", "职工之家", "机关会议中心", "机关食堂（错峰开放为老年助餐点）", "文体活动馆", "培训楼教室")

# ---------------------------------------------------------------------------------------------
# What communities need: (category, resource kind that fits, title, description, quantity range,
# quantity unit, amount range committed from a resource, project title, milestones, outcome)
# ``{c}`` community, ``{b}`` building number, ``{n}`` a number.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedKind:
    category: str
    kind: str
    title: str
    description: str
    quantity: tuple[int, int] | None
    quantity_unit: str
    amount: tuple[int, int]
    project: str
    milestones: tuple[str, ...]
    outcome: str
    source: str = NeedSource.STAFF
    weight: float = 1.0


NEEDS: tuple[NeedKind, ...] = (
    NeedKind("设施改造", "funds", "老旧小区改造：{b}号院外墙保温与管网更新",
             "{c}{b}号院建于上世纪九十年代，外墙脱落、雨污管网老化，居民议事会决定申请改造配套资金。",
             (80_000, 300_000), "元", (20_000, 80_000), "{c}{b}号院老旧小区改造", ("入户征求意见", "施工方案公示", "管网及外墙施工", "竣工验收"),
             "完成外墙保温{n}平方米、更换雨污管网，居民满意度调查满意率98%。", NeedSource.MEETING, 1.2),
    NeedKind("设施改造", "funds", "加装电梯：{b}号楼{n}单元",
             "{b}号楼为六层无电梯住宅，{n}单元有多户高龄老人，业主已达成加装意向，缺口资金需共建单位支持。",
             (150_000, 400_000), "元", (30_000, 100_000), "{c}{b}号楼加装电梯", ("业主协商签字", "规划审批", "电梯安装", "验收运行"),
             "{b}号楼{n}单元电梯已投入使用，惠及{n}0余位居民。", NeedSource.MEETING, 1.0),
    NeedKind("助老", "service", "助老送餐：为独居老人每日送餐", "辖区有{n}位独居、失能老人做饭困难，希望有单位提供午餐配送。",
             (10, 60), "人", (300, 1_500), "{c}助老送餐", ("摸底登记老人", "确定配餐单位", "开始送餐", "服务回访"),
             "为{n}位老人累计送餐{n}00余份。", NeedSource.STAFF, 1.4),
    NeedKind("青少年", "volunteers", "四点钟课堂：放学后托管与作业辅导", "双职工家庭孩子放学后无人照看，社区开设四点钟课堂，需要志愿教师。",
             (5, 20), "人", (3, 10), "{c}四点钟课堂", ("招募志愿教师", "排课", "开课", "学期总结"),
             "本学期开课{n}次，服务学生{n}0余人次。", NeedSource.STAFF, 1.3),
    NeedKind("设施改造", "equipment", "小区电动车充电桩建设", "楼道充电、飞线充电隐患突出，居民希望在院内建设集中充电桩。",
             (10, 40), "个", (10, 30), "{c}电动车集中充电设施", ("选址征求意见", "安装充电桩", "消防验收", "投入使用"),
             "建成充电桩{n}个，楼道充电现象基本消除。", NeedSource.MEETING, 1.0),
    NeedKind("医疗健康", "service", "义诊进社区：慢病筛查与健康咨询", "老年居民多患高血压、糖尿病，希望医院定期到社区义诊。",
             (4, 12), "次", (8, 40), "{c}义诊进社区", ("对接医院", "发布通知", "开展义诊", "建立随访档案"),
             "开展义诊{n}场，服务居民{n}00余人次。", NeedSource.STAFF, 1.2),
    NeedKind("法律服务", "expertise", "法律咨询：每月律师坐班", "居民在物业纠纷、婚姻家庭、劳动报酬方面咨询需求多，希望有律师定期坐班。",
             (12, 48), "小时", (8, 30), "{c}律师坐班与法律咨询", ("对接律所", "公布坐班时间", "开展咨询", "年度总结"),
             "律师坐班{n}次，解答咨询{n}0余件，调解纠纷{n}起。", NeedSource.STAFF, 0.9),
    NeedKind("场地", "venue", "党群服务中心活动场地", "社区办公用房紧张，居民活动、议事和培训缺少场地。",
             (100, 600), "平方米", (80, 300), "{c}党群服务阵地共建", ("场地踏勘", "签订使用协议", "简易装修", "挂牌使用"),
             "共建单位提供场地，社区活动每周开展{n}场。", NeedSource.STAFF, 1.0),
    NeedKind("安全", "expertise", "防范电信诈骗宣讲", "近期辖区老人被骗案件多发，需开展防诈骗宣讲。",
             (2, 6), "场", (4, 12), "{c}反诈宣传进楼院", ("准备宣传材料", "入户宣讲", "集中讲座"),
             "举办宣讲{n}场，发放宣传册{n}00份。", NeedSource.STAFF, 0.8),
    NeedKind("环境卫生", "volunteers", "背街小巷环境整治", "背街小巷乱堆乱放、垃圾分类投放不规范，需要志愿者集中整治。",
             (20, 60), "人", (8, 30), "{c}背街小巷环境整治", ("排查点位", "集中清理", "垃圾分类督导"),
             "清理卫生死角{n}处，垃圾分类准确率明显提高。", NeedSource.STAFF, 1.0),
    NeedKind("文体活动", "venue", "广场舞队与合唱团排练场地", "居民文体队伍{n}支，冬季缺少室内排练场地。",
             (100, 300), "平方米", (100, 400), "{c}文体队伍排练场地", ("对接场地", "排定时段", "开放使用"),
             "{n}支文体队伍每周固定排练。", NeedSource.STAFF, 0.8),
    NeedKind("物资", "goods", "困难家庭冬季慰问物资", "辖区低保、特困家庭{n}户，冬季需要米面油和棉被。",
             (20, 80), "份", (20, 80), "{c}困难家庭冬季慰问", ("核实名单", "筹集物资", "入户慰问"),
             "慰问困难家庭{n}0户。", NeedSource.STAFF, 0.9),
    NeedKind("心理关爱", "service", "空巢老人心理关爱", "空巢老人孤独感强，希望有社工定期陪伴和心理疏导。",
             (10, 40), "人", (20, 80), "{c}空巢老人心理关爱", ("需求评估", "结对陪伴", "小组活动", "效果评估"),
             "结对陪伴老人{n}位，开展小组活动{n}次。", NeedSource.STAFF, 0.8),
    NeedKind("就业创业", "expertise", "失业人员技能培训", "辖区登记失业人员{n}人，希望开展育婴、家政、电商技能培训。",
             (10, 40), "人", (10, 40), "{c}就业技能培训", ("报名摸底", "开班培训", "岗位推荐"),
             "培训{n}0人，{n}人实现就业。", NeedSource.STAFF, 0.7),
    NeedKind("助残", "volunteers", "助残出行陪伴", "辖区残疾人就医、出行困难，需要志愿者陪同。",
             (5, 20), "人", (3, 10), "{c}助残出行陪伴", ("建立需求台账", "志愿者结对", "定期陪伴"),
             "志愿者陪同出行{n}0余次。", NeedSource.STAFF, 0.6),
    NeedKind("青少年", "venue", "暑期青少年活动场地", "暑假期间社区青少年活动多，需要开放操场、教室。",
             (200, 1_000), "平方米", (200, 800), "{c}暑期青少年活动", ("制定活动计划", "场地对接", "开展活动"),
             "暑期开展活动{n}场，参与青少年{n}00人次。", NeedSource.STAFF, 0.7),
    NeedKind("设施改造", "funds", "楼道照明与单元门禁改造", "{b}号院楼道灯损坏多、单元门禁失灵，夜间出行不安全。",
             (20_000, 80_000), "元", (10_000, 40_000), "{c}{b}号院楼道照明改造", ("摸排损坏点位", "采购安装", "验收"),
             "更换声控灯{n}0盏、门禁{n}套，居民夜间出行更安心。", NeedSource.MEETING, 0.8),
    NeedKind("助残", "funds", "无障碍坡道与扶手改造", "{b}号院出入口有台阶，轮椅无法通行，需加装坡道和扶手。",
             (10_000, 50_000), "元", (8_000, 30_000), "{c}无障碍设施改造", ("现场测量", "施工", "验收"),
             "建成无障碍坡道{n}处、扶手{n}0米。", NeedSource.STAFF, 0.6),
    NeedKind("安全", "equipment", "老旧楼院消防器材更新", "楼道灭火器过期、消防栓缺水带，需更新消防器材。",
             (20, 120), "件", (10, 40), "{c}消防器材更新", ("排查登记", "配发安装", "消防演练"),
             "更新灭火器{n}0具，开展消防演练{n}次。", NeedSource.STAFF, 0.6),
    NeedKind("文体活动", "goods", "社区书屋图书更新", "社区书屋藏书陈旧，青少年和老人希望增加新书。",
             (200, 1_000), "册", (100, 500), "{c}书屋图书更新", ("征集书目", "图书捐赠上架", "读书分享会"),
             "新增图书{n}00册，举办读书会{n}场。", NeedSource.STAFF, 0.6),
    NeedKind("医疗健康", "expertise", "心肺复苏急救培训", "居民希望学习心肺复苏和AED使用。",
             (2, 6), "场", (4, 12), "{c}应急救护培训", ("报名", "培训", "考核发证"),
             "培训居民{n}0人，{n}人取得救护员证。", NeedSource.STAFF, 0.6),
    NeedKind("助老", "volunteers", "重阳节敬老活动", "重阳节为辖区80岁以上老人举办敬老活动，需要志愿者和慰问品。",
             (10, 30), "人", (5, 15), "{c}重阳敬老活动", ("老人摸底", "活动筹备", "入户慰问"),
             "走访慰问高龄老人{n}0位。", NeedSource.MEETING, 0.6),
    NeedKind("安全", "expertise", "暑期防溺水安全宣讲", "暑期临近，家长希望为孩子开展防溺水安全教育。",
             (1, 4), "场", (2, 8), "{c}防溺水安全教育", ("准备课件", "集中宣讲"), "开展宣讲{n}场，覆盖学生{n}00人次。", NeedSource.STAFF, 0.5),
    NeedKind("医疗健康", "goods", "想要一个助听器", "老人听力下降，和家人交流困难，希望有一个助听器。",
             (1, 1), "个", (1, 1), "{c}微心愿：助听器", ("认领心愿", "验配送达"), "助听器已验配送到老人手中。", NeedSource.WISH, 0.5),
    NeedKind("助老", "volunteers", "希望有人帮忙修理漏水的水管", "独居老人家中厨房水管漏水，自己无法修理。",
             (1, 1), "人", (1, 2), "{c}微心愿：上门维修", ("认领心愿", "上门维修"), "志愿者已上门修好水管。", NeedSource.WISH, 0.6),
    NeedKind("青少年", "goods", "孩子想要一套科普读物", "孩子喜欢科学，家里没有课外书。",
             (1, 1), "套", (1, 1), "{c}微心愿：科普读物", ("认领心愿", "送达"), "科普读物已送到孩子手中。", NeedSource.WISH, 0.6),
    NeedKind("助老", "goods", "想要一台轮椅", "家中老人腿脚不便，希望有一台轮椅方便出门晒太阳。",
             (1, 1), "台", (1, 2), "{c}微心愿：轮椅", ("认领心愿", "采购送达"), "轮椅已送到老人家中。", NeedSource.WISH, 0.8),
    NeedKind("青少年", "goods", "孩子需要一套课桌椅和台灯", "孩子上小学，家里没有写作业的桌子。",
             (1, 1), "套", (1, 1), "{c}微心愿：课桌椅", ("认领心愿", "送达"), "课桌椅和台灯已送到孩子家。", NeedSource.WISH, 0.8),
    NeedKind("助老", "expertise", "想学用智能手机挂号、视频聊天", "子女在外地，想学会用手机挂号和视频通话。",
             (1, 4), "小时", (2, 6), "{c}微心愿：老人智能手机课", ("认领心愿", "上门教学"), "老人已学会手机挂号和视频通话。", NeedSource.WISH, 0.5),
    NeedKind("医疗健康", "volunteers", "独居老人希望有人陪同就医", "独居老人每月需到医院复查，希望有志愿者陪同。",
             (1, 2), "人", (1, 2), "{c}微心愿：陪同就医", ("认领心愿", "陪同就医"), "志愿者已陪同老人完成复查。", NeedSource.WISH, 0.6),
)
# The bank's building: a project of its own.
BANK_PROJECT = ("{s}党群服务中心（银行闲置办公楼改造）", "街道党群服务中心用房不足，辖区银行将闲置的营业办公楼整体出借，改造为党群服务中心。")

REJECT_REASONS = ("距离较远，居民前往不便", "时间安排冲突", "资源类型与需求不符", "单位本期已安排其他项目", "容量不足")
NOTES = ("已召开协调会，明确分工和时间节点。", "志愿者已招募到位，开始排班。", "物资已采购完毕，正在分发。",
         "施工队已进场，每日巡查安全。", "已完成过半，居民反映良好。", "组织居民代表进行了中期检查。")
RATING_REMARKS = ("服务及时，居民满意", "效果很好，希望长期合作", "组织有序，个别环节可更快", "解决了群众急难愁盼的问题", "")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _stamp(obj: Any, created: dt.datetime, updated: dt.datetime | None = None) -> Any:
    obj.created_at = created
    obj.updated_at = updated or created
    return obj


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    if end <= start:
        return start
    return start + dt.timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))


def _after(rng: random.Random, t: dt.datetime, low_days: float, high_days: float) -> dt.datetime:
    return t + dt.timedelta(days=rng.uniform(low_days, high_days))


def _fill(text: str, rng: random.Random, community: str, building: int) -> str:
    return text.format(c=community, b=building, n=rng.randint(3, 9))


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    value = rng.randint(low, high)
    if value >= 10_000:
        value = value // 1000 * 1000
    elif value >= 1_000:
        value = value // 100 * 100
    return Decimal(value)


def _largest_remainder(total: int, weights: list[float], step: int = 10) -> list[int]:
    units = total // step
    wsum = sum(weights)
    exact = [units * w / wsum for w in weights]
    floor = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - floor[i], reverse=True)
    for i in order[: units - sum(floor)]:
        floor[i] += 1
    return [x * step for x in floor]


def _law_firm_uscc(rng: random.Random, area: str, taken: set[str]) -> str:
    """Law firms are registered by the judicial administration: codes start with 31."""
    while True:
        body = "31" + area[:6] + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        code = body + uscc.calc_check_digit(body)
        if code not in taken:
            taken.add(code)
            return code


@dataclass
class _Actors:
    """The demo accounts acting in the seed communities (user ids; empty when the accounts step did not run)."""

    admins: dict[int, int] = field(default_factory=dict)  # community id → its community admin
    resident: int | None = None  # the resident of 淮河社区
    resident_community: int | None = None
    liaison: int | None = None  # the liaison of 河南省供销合作总社
    liaison_unit: int | None = None

    @classmethod
    def load(cls, ctx: DemoContext) -> _Actors:

        if "cobuild_actors" in ctx.data:
            return ctx.data["cobuild_actors"]
        ids = dict(User.objects.filter(username__in=city.DEMO_USERNAMES, is_active=True).values_list("username", "id"))
        homes = {**{code: f"demo_community_{key}" for key, code in city.SEED_COMMUNITIES.items()},
                 ctx.region_named(city.XINWAN_NAME).code: "demo_community_xinwan"}
        actors = cls(admins={ctx.regions[code].id: ids[name] for code, name in homes.items() if name in ids and code in ctx.regions})
        huaihe = ctx.regions.get(city.SEED_COMMUNITIES["huaihe"])
        actors.resident, actors.resident_community = ids.get("demo_resident"), huaihe.id if huaihe else None
        unit = ctx.data.get("units_by_name", {}).get(city.LIAISON_UNIT)
        actors.liaison, actors.liaison_unit = ids.get("demo_unit_liaison"), unit.id if unit else None
        ctx.data["cobuild_actors"] = actors
        return actors


@dataclass
class _Plan:
    """The records of the ``cobuild`` step, planned in memory."""

    resources: list[Resource] = field(default_factory=list)
    service_regions: list[Any] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    project_needs: list[ProjectNeed] = field(default_factory=list)
    project_resources: list[ProjectResource] = field(default_factory=list)
    milestones: list[ProjectMilestone] = field(default_factory=list)
    notes: list[ProjectNote] = field(default_factory=list)
    decisions: list[MatchDecision] = field(default_factory=list)
    decided: set[tuple[int, int]] = field(default_factory=set)


# ---------------------------------------------------------------------------------------------
# Step: resources, needs, projects
# ---------------------------------------------------------------------------------------------
def _categories() -> dict[str, Category]:
    names = {k.category for k in NEEDS} | {o[1] for offers in OFFERS.values() for o in offers} | {
        c for cs in FALLBACK_CATEGORIES.values() for c in cs}
    found = {c.name: c for c in Category.objects.filter(name__in=names)}
    for i, name in enumerate(sorted(names - set(found))):  # the seeded taxonomy may have been edited
        found[name] = Category.objects.create(name=name, sort_order=200 + i)
    return found


def _add_law_firms(ctx: DemoContext, rng: random.Random) -> list[ResidentUnit]:
    units: list[ResidentUnit] = ctx.data["units"]
    taken = {u.uscc for u in units}
    central = [c for c in ctx.communities() if c.code[:6] in city.CENTRAL_DISTRICTS] or ctx.communities()
    firms = []
    for name in LAW_FIRMS[: ctx.pick(2, len(LAW_FIRMS))]:
        home = rng.choice(central)
        firms.append(ResidentUnit(
            id=ctx.new_id(ResidentUnit), name=name, uscc=_law_firm_uscc(rng, home.code, taken), kind="other", region_id=home.id,
            region_path=home.path, address=f"{home.full_name}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            liaison_name=fakes.person_name(rng, rng.choice(("male", "female"))), liaison_phone_enc=pii.encrypt(fakes.phone(rng)),
        ))
    ctx.bulk(ResidentUnit, firms)
    ctx.data["law_firms"] = firms
    return firms


def _subdistrict_of(ctx: DemoContext, path: str) -> Any:
    parts = path.strip("/").split("/")
    return ctx.regions.get(parts[2]) if len(parts) > 2 else None


def _plan_resources(ctx: DemoContext, rng: random.Random, plan: _Plan, cats: dict[str, Category]) -> dict[str, Any]:
    units: list[ResidentUnit] = list(ctx.data["units"])
    law_firms: list[ResidentUnit] = ctx.data.get("law_firms", [])
    through = Resource.service_regions.through
    special: dict[str, Any] = {"provincial_venues": [], "bank_building": None}
    offered_window = (dt.datetime(2018, 10, 1, 9, tzinfo=TZ), START)

    def add(unit: ResidentUnit, kind: str, category: str, title: str, description: str, capacity: Decimal | None, cap_unit: str,
            *, status: str = ResourceStatus.OFFERED, offered_at: dt.datetime | None = None, district_wide: bool = False) -> Resource:
        offered = offered_at or _between(rng, *offered_window)
        created = offered - dt.timedelta(days=rng.randint(1, 20))
        r = Resource(
            id=ctx.new_id(Resource), unit_id=unit.id, region_path=unit.region_path, title=title[:120], description=description,
            category_id=cats[category].id, kind=kind, capacity=capacity, capacity_unit=cap_unit if capacity is not None else "",
            remaining=capacity, radius_km=Decimal(rng.choice((2, 3, 5, 10))) if kind != ResourceKind.FUNDS else None, status=status,
            offered_at=offered if status != ResourceStatus.DRAFT else None,
            available_from=offered.date() if kind == ResourceKind.VENUE else None,
        )
        plan.resources.append(_stamp(r, created, offered if status != ResourceStatus.DRAFT else created))
        sub = _subdistrict_of(ctx, unit.region_path)
        served = ctx.regions.get(unit.region_path.strip("/").split("/")[1]) if district_wide else sub
        if served is not None:
            plan.service_regions.append(through(resource_id=r.id, region_id=served.id))
        return r

    # Provincial units lending venues: 24 of them, 10,000 m² in total at city scale.
    n_prov, total_m2 = PROVINCIAL_VENUES[ctx.scale]
    provincial = [u for u in units if u.kind == "provincial"]
    lenders = provincial[:n_prov]
    areas = _largest_remainder(total_m2, [rng.uniform(0.5, 2.0) for _ in lenders])
    for unit, area in zip(lenders, areas, strict=True):
        what = rng.choice(PROVINCIAL_VENUE_TITLES)
        r = add(unit, ResourceKind.VENUE, "场地", f"{unit.name}{what}向社区开放（{area}平方米）",
                f"{unit.name}将{what}在工作日晚间和周末向周边社区开放，用于居民活动、议事、培训和助餐。", Decimal(area), CapacityUnit.SQUARE_METRES,
                district_wide=True)
        special["provincial_venues"].append(r)
    # A bank lends a whole 4,000 m² building.
    bank = next((u for u in units if u.kind == "bank"), None)
    if bank is not None:
        special["bank_building"] = add(
            bank, ResourceKind.VENUE, "场地", f"{bank.name}闲置营业办公楼整体出借（{BANK_BUILDING_M2}平方米）",
            "原营业办公楼（地上五层）闲置，整体无偿出借给街道用作党群服务中心，期限十年。", Decimal(BANK_BUILDING_M2),
            CapacityUnit.SQUARE_METRES, offered_at=dt.datetime(2019, 6, 20, 10, tzinfo=TZ), district_wide=True)
    # Everyone's ordinary offers.
    for unit in [*units, *law_firms]:
        offers = OFFERS.get("law_firm" if unit in law_firms else unit.kind, ())
        if not offers:
            continue
        k = len(offers) if unit.kind in ("provincial", "hospital") or unit.name == city.LIAISON_UNIT else rng.randint(1, len(offers))
        for kind, category, title, description, cap, cap_unit in rng.sample(offers, k):
            capacity = _amount(rng, *cap) if cap else None
            late = rng.random() < 0.12  # offered recently
            status = ResourceStatus.OFFERED
            roll = rng.random()
            if roll < 0.04:
                status = ResourceStatus.DRAFT
            elif roll < 0.08:
                status = ResourceStatus.PAUSED
            elif roll < 0.11:
                status = ResourceStatus.WITHDRAWN
            add(unit, kind, category, title.format(u=unit.name), description, capacity, cap_unit, status=status,
                offered_at=_between(rng, NOW - dt.timedelta(days=200), NOW - dt.timedelta(days=30)) if late else None)
    return special


class _Pools:
    """Offered resources by kind and place, to pick one for a project near its community."""

    def __init__(self, resources: list[Resource], exclude: set[int]) -> None:
        self.by: dict[tuple[str, int | None, str], list[Resource]] = defaultdict(list)
        # units that offer something of a kind and category (whatever its status or capacity), by district
        self.units: dict[tuple[str, int | None, str], list[int]] = defaultdict(list)
        for r in resources:
            parts = r.region_path.strip("/").split("/")
            self.units[(r.kind, r.category_id, "/".join(parts[:2]))].append(r.unit_id)
            if r.status != ResourceStatus.OFFERED or r.id in exclude:
                continue
            for depth in (4, 3, 2, 1):  # community, subdistrict, district, city
                if len(parts) >= depth:
                    self.by[(r.kind, r.category_id, "/".join(parts[:depth]))].append(r)

    def pick(self, rng: random.Random, kind: str, category_ids: list[int], community_path: str, amount: Decimal,
             when: dt.datetime) -> Resource | None:
        """A resource of the kind and of the first category that has one (the need's own, then the
        generic ones of the kind), offered before ``when`` with enough capacity left: from the
        community's own units first, then its subdistrict, district, city."""
        parts = community_path.strip("/").split("/")
        for cat in category_ids:
            for depth in (4, 3, 2, 1):
                pool = self.by.get((kind, cat, "/".join(parts[:depth])), [])
                if not pool or (depth == 4 and rng.random() < 0.3):
                    continue
                for _ in range(6):
                    r = rng.choice(pool)
                    if r.offered_at is not None and r.offered_at < when and (r.remaining is None or r.remaining >= amount):
                        return r
        return None

    def unit_for(self, rng: random.Random, kind: str, category_ids: list[int], community_path: str) -> int | None:
        """A unit of the district that offers this kind of help (its offer may be used up or paused)."""
        district = "/".join(community_path.strip("/").split("/")[:2])
        for cat in category_ids:
            if found := self.units.get((kind, cat, district)):
                return rng.choice(found)
        return None


# Generic categories of each resource kind, tried after the need's own category.
FALLBACK_CATEGORIES = {"funds": ("资金",), "venue": ("场地",), "goods": ("物资",), "volunteers": ("助老", "环境卫生", "助残", "安全"),
                       "expertise": ("技术支持",), "service": (), "equipment": ()}


def _need(ctx: DemoContext, plan: _Plan, rng: random.Random, cats: dict[str, Category], kind: NeedKind, community: Any,
          status: str, published: dt.datetime | None, *, created: dt.datetime | None = None) -> Need:
    actors = _Actors.load(ctx)
    building = rng.randint(1, 36)
    created = created or ((published or NOW) - dt.timedelta(hours=rng.randint(2, 96)))
    quantity = _amount(rng, *kind.quantity) if kind.quantity else None
    wanted_from = (published or created).date() + dt.timedelta(days=rng.randint(3, 20)) if rng.random() < 0.5 else None
    n = Need(
        id=ctx.new_id(Need), title=_fill(kind.title, rng, community.name, building)[:120],
        description=_fill(kind.description, rng, community.name, building), category_id=cats[kind.category].id,
        community_id=community.id, region_path=community.path,
        address=f"{community.full_name}{building}号院" if kind.source != NeedSource.WISH else "",
        quantity=quantity, quantity_unit=kind.quantity_unit if quantity is not None else "",
        wanted_from=wanted_from, wanted_to=wanted_from + dt.timedelta(days=rng.randint(30, 180)) if wanted_from else None,
        urgency=rng.choices(Urgency.values, weights=(1, 6, 2, 1))[0], source=kind.source, status=status, published_at=published,
    )
    if kind.source == NeedSource.WISH and community.id == actors.resident_community:
        n.submitted_by_id = actors.resident  # the demo resident's own micro-wishes
    n.building = building  # type: ignore[attr-defined]  # reused by the project's title
    plan.needs.append(_stamp(n, created, published or created))
    return n


def _project_times(rng: random.Random, status: str) -> dict[str, dt.datetime | None]:
    """Stamps in order: published → created → agreed → started → done → rated (or cancelled)."""
    lag = dt.timedelta(days=min(120.0, rng.lognormvariate(2.4, 0.8)))  # need → project, median ≈ 11 days
    steps = {"agreed": rng.uniform(1, 10), "started": rng.uniform(1, 14), "done": rng.uniform(7, 120), "rated": rng.uniform(1, 20)}
    reach = {ProjectStatus.PROPOSED: 0, ProjectStatus.AGREED: 1, ProjectStatus.IN_PROGRESS: 2, ProjectStatus.DONE: 3,
             ProjectStatus.RATED: 4, ProjectStatus.CANCELLED: rng.randint(0, 2)}[ProjectStatus(status)]
    keys = list(steps)[:reach]
    span = lag + dt.timedelta(days=sum(steps[k] for k in keys))
    if status == ProjectStatus.RATED:
        end = _between(rng, START + span + dt.timedelta(days=1), NOW)
    elif status == ProjectStatus.CANCELLED:
        end = _between(rng, START + span + dt.timedelta(days=30), NOW - dt.timedelta(days=25))
    else:  # still open, or done recently and not yet rated: near the demo's "now"
        end = NOW - dt.timedelta(days=rng.uniform(0.5, {ProjectStatus.DONE: 30, ProjectStatus.IN_PROGRESS: 60}.get(ProjectStatus(status), 15)))
    t = end - span
    out: dict[str, dt.datetime | None] = {"published": t, "created": t + lag}
    t = t + lag
    for k in steps:
        if k in keys:
            t = t + dt.timedelta(days=steps[k])
            out[k] = t
        else:
            out[k] = None
    out["cancelled"] = (t + dt.timedelta(days=rng.uniform(1, 20))) if status == ProjectStatus.CANCELLED else None
    return out


def build_cobuild(ctx: DemoContext) -> None:
    rng = ctx.rng_for("cobuild")
    cats = _categories()
    _add_law_firms(ctx, ctx.rng_for("cobuild.law_firms"))
    plan = _Plan()
    special = _plan_resources(ctx, ctx.rng_for("cobuild.resources"), plan, cats)
    units_by_id = {u.id: u for u in [*ctx.data["units"], *ctx.data.get("law_firms", [])]}
    actors = _Actors.load(ctx)
    communities = ctx.communities()
    seed_codes = {*city.SEED_COMMUNITIES.values(), ctx.region_named(city.XINWAN_NAME).code}
    units_by_district: dict[str, list[ResidentUnit]] = defaultdict(list)
    for u in units_by_id.values():
        units_by_district[u.region_path.strip("/").split("/")[1] if u.region_path.count("/") > 2 else ""].append(u)

    lent = {r.id for r in special["provincial_venues"]} | ({special["bank_building"].id} if special["bank_building"] else set())
    pools = _Pools(plan.resources, lent)
    need_weights = [k.weight for k in NEEDS]
    pr_rng = ctx.rng_for("cobuild.projects")

    def make_project(community: Any, status: str, kinds: list[NeedKind], resource: Resource | None = None, amount: Decimal = Decimal(0),
                     title: str | None = None, plan_text: str | None = None) -> Project:
        times = _project_times(pr_rng, status)
        created = times["created"]
        assert created is not None and times["published"] is not None
        fitting = [cats[c].id for c in (kinds[0].category, *FALLBACK_CATEGORIES.get(kinds[0].kind, ()))]
        if resource is None and pr_rng.random() < 0.92:
            amount = _amount(pr_rng, *kinds[0].amount)
            resource = pools.pick(pr_rng, kinds[0].kind, fitting, community.path, amount, created)
        need_status = {ProjectStatus.RATED: NeedStatus.MET, ProjectStatus.DONE: NeedStatus.MET,
                       ProjectStatus.CANCELLED: NeedStatus.PUBLISHED}.get(ProjectStatus(status), NeedStatus.IN_PROJECT)
        needs = [_need(ctx, plan, pr_rng, cats, k, community, need_status, times["published"] + dt.timedelta(hours=pr_rng.uniform(0, 48) * i))
                 for i, k in enumerate(kinds)]
        first = kinds[0]
        if resource is not None:
            unit_id = resource.unit_id
        else:  # no resource committed: a unit of the district that offers this kind of help, or an organ
            district = community.path.strip("/").split("/")[1]
            local = units_by_district.get(district) or list(units_by_id.values())
            unit_id = pools.unit_for(pr_rng, kinds[0].kind, fitting, community.path) or pr_rng.choice(
                [u for u in local if u.kind == "organ"] or local).id
        unit = units_by_id[unit_id]
        p = Project(
            id=ctx.new_id(Project), title=(title or _fill(first.project, pr_rng, community.name, needs[0].building))[:120],  # type: ignore[attr-defined]
            community_id=community.id, region_path=community.path, unit_id=unit_id,
            plan=plan_text or f"由{unit.name}牵头，{community.name}组织居民参与：" + "；".join(first.milestones) + "。",
            status=status, agreed_at=times["agreed"], started_at=times["started"], done_at=times["done"], rated_at=times["rated"],
            cancelled_at=times["cancelled"], proposed_by_id=actors.admins.get(community.id),
        )
        author = actors.liaison if unit_id == actors.liaison_unit else actors.admins.get(community.id)
        last = max(t for t in (created, p.agreed_at, p.started_at, p.done_at, p.rated_at, p.cancelled_at) if t is not None)
        if p.done_at:
            p.outcome = _fill(first.outcome, pr_rng, community.name, needs[0].building)  # type: ignore[attr-defined]
            for n in needs:
                n.met_at = p.done_at
                n.updated_at = p.done_at
        if p.rated_at:
            p.rating = pr_rng.choices((5, 4, 3, 2), weights=(70, 22, 6, 2))[0]
            p.rating_remark = pr_rng.choice(RATING_REMARKS)
        if p.cancelled_at:
            p.cancel_reason = pr_rng.choice(("居民意见不一致，暂缓实施", "已由政府项目统一解决", "共建单位工作调整"))
            for n in needs:
                n.updated_at = p.cancelled_at
        plan.projects.append(_stamp(p, created, last))
        for n in needs:
            plan.project_needs.append(_stamp(ProjectNeed(id=ctx.new_id(ProjectNeed), project_id=p.id, need_id=n.id), created))
        if resource is not None:
            plan.project_resources.append(_stamp(ProjectResource(id=ctx.new_id(ProjectResource), project_id=p.id, resource_id=resource.id,
                                                                 amount=amount), created))
            if resource.remaining is not None and status != ProjectStatus.CANCELLED:
                resource.remaining -= amount
            if pr_rng.random() < 0.35 and (needs[0].id, resource.id) not in plan.decided:
                plan.decided.add((needs[0].id, resource.id))
                plan.decisions.append(_stamp(MatchDecision(
                    id=ctx.new_id(MatchDecision), need_id=needs[0].id, resource_id=resource.id, verdict=MatchVerdict.ACCEPTED, project_id=p.id,
                    score=round(pr_rng.uniform(0.55, 0.95), 6), decided_by_id=actors.admins.get(community.id)), created))
        # Milestones and progress notes.
        reached = {ProjectStatus.RATED: 99, ProjectStatus.DONE: 99, ProjectStatus.IN_PROGRESS: pr_rng.randint(0, len(first.milestones) - 1)}
        n_done = reached.get(ProjectStatus(status), 0)
        begin = p.started_at or p.agreed_at or created
        finish = p.done_at or (begin + dt.timedelta(days=pr_rng.randint(30, 120)))
        for i, title_ in enumerate(first.milestones):
            due = begin + (finish - begin) * (i + 1) / len(first.milestones)
            done_on = min(due, p.done_at or NOW).date() if i < n_done and p.started_at else None
            if done_on is not None and p.started_at and done_on < p.started_at.date():
                done_on = p.started_at.date()
            plan.milestones.append(_stamp(ProjectMilestone(id=ctx.new_id(ProjectMilestone), project_id=p.id, title=title_, due_on=due.date(),
                                                           done_on=done_on, sort_order=i + 1), created))
        if p.started_at:
            end = p.done_at or NOW
            k = pr_rng.randint(1, 3)
            for j in range(k):
                when = p.started_at + (end - p.started_at) * (j + 1) / (k + 1)
                progress = round(100 * (j + 1) / (k + 1))
                note = ProjectNote(id=ctx.new_id(ProjectNote), project_id=p.id, text=pr_rng.choice(NOTES), progress=progress, author_id=author)
                plan.notes.append(_stamp(note, when))
            if p.done_at:
                note = ProjectNote(id=ctx.new_id(ProjectNote), project_id=p.id, text="项目已完成，成果已向居民公示。", progress=100,
                                   author_id=author)
                plan.notes.append(_stamp(note, p.done_at))
        return p

    # The bank's building and the provincial venues first: each lends to projects of its own district.
    bank_building = special["bank_building"]
    if bank_building is not None:
        sub = _subdistrict_of(ctx, bank_building.region_path)
        home = ctx.region_by_id(units_by_id[bank_building.unit_id].region_id)
        venue_kind = next(k for k in NEEDS if k.kind == "venue")
        title, text = BANK_PROJECT
        make_project(home, ProjectStatus.RATED, [venue_kind], bank_building, Decimal(BANK_BUILDING_M2),
                     title.format(s=sub.name if sub else home.name), text)
    venue_kinds = [k for k in NEEDS if k.kind == "venue"]
    for r in special["provincial_venues"]:
        home = ctx.region_by_id(units_by_id[r.unit_id].region_id)
        for _ in range(2):
            amount = min(r.remaining or Decimal(0), _amount(pr_rng, 80, 300))
            if amount > 0:
                make_project(home, ProjectStatus.RATED, [pr_rng.choice(venue_kinds)], r, amount)
    # Every seed community has a project in every status.
    for c in communities:
        if c.code in seed_codes:
            for status in ProjectStatus.values:
                make_project(c, status, [pr_rng.choices(NEEDS, weights=need_weights)[0]])
    # The rest: 4,700 rated in all at city scale, the same number per urban community at small scale.
    rated = PROBLEMS_SOLVED_CITY if ctx.is_city else round(PROBLEMS_SOLVED_CITY * len(communities) / CITY_URBAN_COMMUNITIES)
    statuses = [ProjectStatus.RATED] * (rated - sum(1 for p in plan.projects if p.status == ProjectStatus.RATED))
    for status, share in OTHER_STATUSES:
        statuses += [status] * max(2, round(rated * share))
    rng.shuffle(statuses)
    weights = [SEED_COMMUNITY_WEIGHT if c.code in seed_codes else 1.0 for c in communities]
    for community, status in zip(rng.choices(communities, weights=weights, k=len(statuses)), statuses, strict=True):
        kinds = [pr_rng.choices(NEEDS, weights=need_weights)[0]]
        if pr_rng.random() < 0.15:
            kinds.append(pr_rng.choices(NEEDS, weights=need_weights)[0])
        make_project(community, status, kinds)

    # Open needs and micro-wishes: published, matched, awaiting review, withdrawn.
    open_rng = ctx.rng_for("cobuild.needs")
    wishes = [k for k in NEEDS if k.source == NeedSource.WISH]
    resident_home = next((c for c in communities if c.id == actors.resident_community), None)
    if resident_home is not None:  # the demo resident has a wish awaiting review and one published
        _need(ctx, plan, open_rng, cats, open_rng.choice(wishes), resident_home, NeedStatus.DRAFT, None,
              created=NOW - dt.timedelta(days=open_rng.uniform(1, 5)))
        _need(ctx, plan, open_rng, cats, open_rng.choice(wishes), resident_home, NeedStatus.PUBLISHED,
              NOW - dt.timedelta(days=open_rng.uniform(6, 20)))
    for c in communities:
        for _ in range(open_rng.choices((0, 1, 2, 3), weights=(2, 4, 3, 1))[0] + (3 if c.code in seed_codes else 0)):
            kind = open_rng.choices(NEEDS, weights=need_weights)[0]
            status = open_rng.choices((NeedStatus.PUBLISHED, NeedStatus.MATCHED, NeedStatus.DRAFT, NeedStatus.WITHDRAWN), weights=(6, 2, 2, 1))[0]
            if status == NeedStatus.DRAFT:
                _need(ctx, plan, open_rng, cats, kind, c, status, None, created=_between(open_rng, NOW - dt.timedelta(days=20), NOW))
                continue
            published = _between(open_rng, NOW - dt.timedelta(days=150), NOW - dt.timedelta(days=1))
            n = _need(ctx, plan, open_rng, cats, kind, c, status, published)
            if status == NeedStatus.WITHDRAWN:
                n.withdrawn_at = n.updated_at = published + dt.timedelta(days=open_rng.uniform(1, 30))
                n.published_at = None if open_rng.random() < 0.3 else n.published_at
                n.review_note = "已通过其他渠道解决"
            elif status == NeedStatus.PUBLISHED and open_rng.random() < 0.3:
                # staff looked at a suggestion and turned it down
                fitting = [cats[x].id for x in (kind.category, *FALLBACK_CATEGORIES.get(kind.kind, ()))]
                r = pools.pick(open_rng, kind.kind, fitting, c.path, Decimal(1), NOW)
                if r is not None and (n.id, r.id) not in plan.decided:
                    plan.decided.add((n.id, r.id))
                    plan.decisions.append(_stamp(MatchDecision(
                        id=ctx.new_id(MatchDecision), need_id=n.id, resource_id=r.id, verdict=MatchVerdict.REJECTED,
                        reason=open_rng.choice(REJECT_REASONS), score=round(open_rng.uniform(0.3, 0.7), 6),
                        decided_by_id=actors.admins.get(c.id)),
                        published + dt.timedelta(hours=open_rng.uniform(2, 72))))

    for r in plan.resources:
        if r.remaining is not None and r.remaining != r.capacity:
            r.updated_at = max(r.updated_at, NOW - dt.timedelta(days=1))
    with given_timestamps(Resource, Need, Project, ProjectNeed, ProjectResource, ProjectMilestone, ProjectNote, MatchDecision):
        ctx.bulk(Resource, plan.resources)
        ctx.bulk(Resource.service_regions.through, plan.service_regions)
        ctx.bulk(Need, plan.needs)
        ctx.bulk(Project, plan.projects)
        ctx.bulk(ProjectNeed, plan.project_needs)
        ctx.bulk(ProjectResource, plan.project_resources)
        ctx.bulk(ProjectMilestone, plan.milestones)
        ctx.bulk(ProjectNote, plan.notes)
        ctx.bulk(MatchDecision, plan.decisions)
    solved = sum(1 for p in plan.projects if p.status == ProjectStatus.RATED)
    prov_m2 = sum(r.capacity or 0 for r in special["provincial_venues"])
    ctx.say(f"{len(plan.needs):,} needs, {len(plan.resources):,} resources, {len(plan.projects):,} projects ({solved:,} problems solved); "
            f"{len(special['provincial_venues'])} provincial units lend {prov_m2:,} m², a bank {BANK_BUILDING_M2:,} m²")
