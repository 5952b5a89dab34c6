"""What residents and office staff really type or paste: full-width digits, separators, +86,
old 15-digit numbers and ID numbers that Excel turned into floating-point numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.testing import factories

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _idn() -> str:
    return factories.new_id_number(birth=dt.date(1985, 6, 15))


def _message(exc: pytest.ExceptionInfo[ValidationError], field: str = "id_number") -> str:
    with translation.override("zh-hans"):
        return str(exc.value.details[field][0])


def test_full_width_digits_are_accepted():
    idn = _idn()
    assert pii.normalize_id_number(idn.translate(FULL_WIDTH)) == idn


@pytest.mark.parametrize("sep", ["-", "－", "—", "‐", " ", "\u3000", "\u00a0", "\t"])
def test_separators_between_groups_are_ignored(sep):
    idn = _idn()
    assert pii.normalize_id_number(f"{idn[:6]}{sep}{idn[6:14]}{sep}{idn[14:]}") == idn


def test_old_15_digit_numbers_are_refused_with_their_own_reason():
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number("410103850615003")
    msg = _message(exc)
    assert "15" in msg and "18" in msg


@pytest.mark.parametrize("value", ["4.10103198506150E+17", "4.1010319850615e17", "4.10103E+17", "４．１０１０３Ｅ＋１７"])
def test_id_numbers_excel_turned_into_numbers_are_explained(value):
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number(value)
    assert "文本" in _message(exc)


@pytest.mark.parametrize(
    "value",
    ["+86 138-0013-8000", "+86-13800138000", "0086 13800138000", "86 138 0013 8000", "138-0013-8000", "１３８００１３８０００",
     "＋８６ １３８ ００１３ ８０００", " 13800138000 "],
)
def test_mobile_numbers_in_every_usual_writing(value):
    assert pii.normalize_phone(value) == "13800138000"


def test_landline_with_spaces_or_full_width_digits():
    assert pii.normalize_phone("0371-1234 5678") == "0371-12345678"
    assert pii.normalize_phone("０３７１－１２３４５６７８") == "0371-12345678"


def test_uscc_full_width_and_lower_case():
    import random

    from gongjian.core import fakes

    code = fakes.uscc_code(random.Random(7), area_code="410103")
    assert pii.normalize_uscc(code.lower().translate(FULL_WIDTH)) == code
    assert pii.normalize_uscc(f"{code[:9]}-{code[9:]}") == code
