"""Concept lexicon: everyday words → concepts → categories.

Residents write 老人, units write 长者 or 老年人; a need says 孩子放学没人管, a resource says 四点钟课堂. Each concept below
lists the words that mean it. A text that contains any of them gets the concept as an extra search token (``<老人>``) on
both sides, and the concept's category counts as the text's inferred category (used when a category is blank, and to
understand category names outside the default taxonomy, e.g. 养老服务 → 助老).

``GOVERNANCE_TERMS`` are added to jieba's dictionary so that they are cut as one word.
"""

from __future__ import annotations

# concept → (category, words separated by spaces). Words of two characters or more; a word may be in several concepts.
_CONCEPT_TABLE: dict[str, tuple[str, str]] = {
    "老人": (
        "助老",
        "老人 长者 老年 老年人 银发 空巢 高龄 独居老人 孤寡 失能 半失能 养老 敬老 为老 爷爷 奶奶 "
        "大爷 大妈 老伴 居家养老 适老 适老化 老龄 耆老 老同志 离退休 退休",
    ),
    "助餐": (
        "助老",
        "助餐 长者食堂 老年食堂 爱心食堂 送餐 助餐点 吃饭难 午餐 餐桌 配餐",
    ),
    "照料": (
        "助老",
        "日间照料 照料中心 托老 陪护 护理 照护 陪伴 探访 巡访 上门服务 生活照料",
    ),
    "残疾": (
        "助残",
        "残疾 残障 残疾人 轮椅 盲人 视障 听障 聋哑 肢残 智障 助残 康复 无障碍 辅具 助听器 盲道",
    ),
    "儿童": (
        "青少年",
        "孩子 儿童 小孩 少儿 青少年 学生 小学生 中学生 未成年 留守儿童 困境儿童 娃 幼儿 托育 亲子 少年 放学",
    ),
    "课后": (
        "青少年",
        "四点钟课堂 课后 托管 放学后 课后服务 作业辅导 辅导作业 写作业 功课 暑期 暑假 寒假 假期班 夏令营 兴趣班 四点半课堂 四点半",
    ),
    "医疗": (
        "医疗健康",
        "看病 义诊 医疗 医生 医院 卫生院 卫生服务中心 体检 健康 量血压 血压 血糖 慢病 慢性病 诊所 护士 "
        "急救 药品 用药 中医 家庭医生 签约医生 健康讲座 疫苗 防疫 保健",
    ),
    "法律": (
        "法律服务",
        "法律 律师 懂法 普法 法律援助 法律咨询 维权 纠纷 调解 打官司 合同 继承 遗嘱 法治 公证 欠薪 讨薪 法官 检察",
    ),
    "就业": (
        "就业创业",
        "就业 找工作 招聘 岗位 职业培训 技能培训 再就业 失业 创业 用工 求职 招工 灵活就业 务工",
    ),
    "文体": (
        "文体活动",
        "文体 文艺 演出 排练 合唱 舞蹈 广场舞 下棋 棋牌 打牌 象棋 书法 绘画 读书 图书 阅览 "
        "乒乓球 篮球 健身 运动 太极 戏曲 晚会 文化活动 文娱 娱乐 活动室 比赛 电影 观影",
    ),
    "环境": (
        "环境卫生",
        "环境 卫生 垃圾 垃圾分类 清扫 保洁 清运 绿化 种树 花草 杂物 堆物 小广告 污水 下水道 异味 蚊虫 消杀 口袋公园 楼道 清理 大扫除 整治 脏乱差",
    ),
    "改造": (
        "设施改造",
        "改造 维修 修缮 加装电梯 电梯 老旧小区 管网 修水管 水管 漏水 路灯 照明 道路 路面 停车 车棚 "
        "充电桩 充电 屋顶 防水 外墙 门禁 装修 翻新 修理 坏了 破损 施工 水电",
    ),
    "场地": (
        "场地",
        "场地 场所 会议室 活动场地 礼堂 报告厅 多功能厅 教室 房间 房屋 办公楼 大楼 空间 阵地 平米 平方米 "
        "面积 借用 开放 共享 操场 运动场 球场 食堂 大厅 展厅 办公用房 用房",
    ),
    "资金": (
        "资金",
        "资金 经费 捐款 捐资 赞助 资助 拨款 补贴 奖学金 助学金 募捐 善款 基金 万元 费用 出资",
    ),
    "物资": (
        "物资",
        "物资 捐赠 捐物 衣物 棉被 米面油 粮油 文具 书包 图书捐赠 电脑 桌椅 设备 器材 口罩 慰问品 生活用品 家电 药箱 灭火器 物品",
    ),
    "技术": (
        "技术支持",
        "技术 信息化 网络 网站 小程序 智能手机 手机 电脑培训 软件 数据 系统 监控 摄像头 智慧社区 宽带 线上 直播 工程师 数字",
    ),
    "安全": (
        "安全",
        "安全 消防 防火 火灾 隐患 巡逻 治安 防诈 反诈 诈骗 电动车 飞线充电 燃气 应急 防汛 演练 交通安全 平安 监控",
    ),
    "心理": (
        "心理关爱",
        "心理 心理咨询 心理疏导 心理健康 谈心 情绪 抑郁 焦虑 孤独 关爱 慰问 陪聊 倾听 疏导 压力 心理辅导",
    ),
    "志愿": (
        "其他",
        "志愿者 志愿服务 义工 志愿 人手 帮忙 出力 服务队 党员志愿",
    ),
    "便民": (
        "其他",
        "便民 理发 义剪 磨刀 修鞋 修家电 家电维修 缝补 配钥匙 便民服务 集市",
    ),
}
CONCEPTS: dict[str, tuple[str, tuple[str, ...]]] = {c: (cat, tuple(words.split())) for c, (cat, words) in _CONCEPT_TABLE.items()}

# Category names outside the default taxonomy that still mean one of its categories.
CATEGORY_ALIASES: dict[str, str] = {
    "养老": "助老",
    "养老服务": "助老",
    "为老服务": "助老",
    "敬老": "助老",
    "扶残": "助残",
    "残疾人服务": "助残",
    "教育": "青少年",
    "少儿": "青少年",
    "儿童": "青少年",
    "未成年人": "青少年",
    "医疗": "医疗健康",
    "健康": "医疗健康",
    "卫生健康": "医疗健康",
    "法律": "法律服务",
    "普法": "法律服务",
    "法律援助": "法律服务",
    "就业": "就业创业",
    "创业": "就业创业",
    "文体": "文体活动",
    "文化": "文体活动",
    "文化体育": "文体活动",
    "文娱": "文体活动",
    "环境": "环境卫生",
    "卫生": "环境卫生",
    "环保": "环境卫生",
    "改造": "设施改造",
    "设施": "设施改造",
    "维修": "设施改造",
    "场所": "场地",
    "阵地": "场地",
    "空间": "场地",
    "经费": "资金",
    "捐款": "资金",
    "物品": "物资",
    "设备": "物资",
    "技术": "技术支持",
    "信息化": "技术支持",
    "平安": "安全",
    "消防": "安全",
    "心理": "心理关爱",
    "关爱": "心理关爱",
}

GOVERNANCE_TERMS: tuple[str, ...] = (
    "四点钟课堂",
    "四点半课堂",
    "微心愿",
    "日间照料",
    "日间照料中心",
    "老旧小区",
    "加装电梯",
    "共驻共建",
    "双报到",
    "党群服务中心",
    "新时代文明实践",
    "网格员",
    "长者食堂",
    "老年食堂",
    "助餐点",
    "适老化",
    "适老化改造",
    "居家养老",
    "空巢老人",
    "独居老人",
    "留守儿童",
    "困境儿童",
    "法律援助",
    "法律咨询",
    "心理疏导",
    "心理咨询",
    "家庭医生",
    "垃圾分类",
    "口袋公园",
    "飞线充电",
    "充电桩",
    "义诊",
    "义剪",
    "志愿服务",
    "志愿者",
    "党员志愿",
    "红色物业",
    "楼院",
    "楼栋长",
    "便民服务",
    "课后服务",
    "作业辅导",
    "智慧社区",
    "无障碍",
    "小广告",
    "文体活动",
    "文娱活动",
    "活动室",
    "棋牌室",
    "多功能厅",
    "报告厅",
    "联建",
    "结对共建",
    "爱心驿站",
    "反诈",
    "防诈",
    "技能培训",
    "职业培训",
    "再就业",
    "灵活就业",
    "慢性病",
    "慢病",
    "量血压",
    "健康讲座",
    "应急演练",
    "消防演练",
)

#: category → its concept words (used to read a category written in words, e.g. "老年人服务").
CATEGORY_WORDS: dict[str, frozenset[str]] = {}
for _concept, (_category, _words) in CONCEPTS.items():
    CATEGORY_WORDS.setdefault(_category, frozenset())
    CATEGORY_WORDS[_category] = CATEGORY_WORDS[_category] | frozenset(_words)

#: word → the concepts it belongs to.
WORD_CONCEPTS: dict[str, tuple[str, ...]] = {}
for _concept, (_category, _words) in CONCEPTS.items():
    for _word in _words:
        WORD_CONCEPTS[_word] = (*WORD_CONCEPTS.get(_word, ()), _concept)

MAX_WORD_LEN: int = max(len(w) for w in WORD_CONCEPTS)


def concepts_in(text: str) -> set[str]:
    """The concepts whose words occur anywhere in ``text`` (substring search over every 2..MAX_WORD_LEN window)."""
    found: set[str] = set()
    n = len(text)
    lookup = WORD_CONCEPTS.get
    for i in range(n - 1):
        for j in range(i + 2, min(n, i + MAX_WORD_LEN) + 1):
            hit = lookup(text[i:j])
            if hit:
                found.update(hit)
    return found


def categories_of_concepts(concepts: set[str]) -> set[str]:
    """The categories the concepts point to; the catch-all 其他 is left out (it says nothing about the field)."""
    return {CONCEPTS[c][0] for c in concepts} - {"其他"}


def normalise_category(name: str, known: tuple[str, ...]) -> set[str]:
    """The categories a declared category name stands for: itself, an alias, or what its words mean. Blank/其他 → empty."""
    name = name.strip()
    if not name or name in {"其他", "其它", "无", "-"}:
        return set()
    out = {name}
    if name in CATEGORY_ALIASES:
        out.add(CATEGORY_ALIASES[name])
    if name not in known:
        out |= categories_of_concepts(concepts_in(name))
    return out
