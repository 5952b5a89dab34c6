"""Plausible Chinese personal data with correct check characters, for the demo city and tests.

Every generator takes a ``random.Random`` so a seed reproduces the same city.
"""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import ric, uscc

from .pii import known_area_code

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳晨博文志建国庆东海峰亮成"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美玲桂兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉"

# USCC registration-authority + kind prefixes: 1 机构编制 (organs), 5 民政 (social orgs), 9 工商 (enterprises).
USCC_PREFIX = {"organ": "11", "institution": "12", "social_org": "51", "enterprise": "91"}
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def person_name(rng: random.Random, gender: str) -> str:
    pool = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def birth_date(rng: random.Random, *, min_age: int = 20, max_age: int = 85, today: dt.date | None = None) -> dt.date:
    today = today or dt.date(2026, 7, 1)
    days = rng.randint(min_age * 365, max_age * 365)
    return today - dt.timedelta(days=days)


def id_number(rng: random.Random, *, area_code: str, birth: dt.date, gender: str) -> str:
    """An 18-character resident ID number: area (6) + birth (8) + sequence (3, odd = male) + check."""
    seq = rng.randint(0, 499) * 2 + (1 if gender == "male" else 0)
    for area in (area_code[:6], "410103"):  # an unknown county code falls back to 二七区
        body = f"{area}{birth:%Y%m%d}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
        if known_area_code(area) and number[-1] == ric.calc_check_digit(number):
            return number
    raise ValueError(f"cannot make an ID number for {area_code} born {birth}")


def phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "135", "137", "150", "151", "158", "186", "187", "176")) + f"{rng.randint(0, 99_999_999):08d}"


def uscc_code(rng: random.Random, *, area_code: str, kind: str = "enterprise") -> str:
    """An 18-character unified social credit code with a correct check character."""
    prefix = USCC_PREFIX.get(kind, "91")
    body = prefix + area_code[:6] + "".join(rng.choice(_USCC_BODY) for _ in range(9))
    return body + uscc.calc_check_digit(body)
