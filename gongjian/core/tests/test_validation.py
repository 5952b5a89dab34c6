"""core.validation: every field error collected, then raised once with all of them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gongjian.core.errors import ValidationError
from gongjian.core.validation import Errors, clean_choice, clean_date, clean_decimal, clean_text
from gongjian.matters.choices import Urgency


def test_errors_are_collected_and_raised_once():
    e = Errors()
    assert clean_text(" 加装\n电梯 ", field="title", errors=e) == "加装 电梯"
    assert clean_text("第一行\n第二行", field="body", errors=e, multiline=True) == "第一行\n第二行"
    clean_text("", field="title2", errors=e, required="必填")
    clean_text("x\x00y", field="nul", errors=e)
    clean_text("长" * 11, field="long", errors=e, max_length=10)
    clean_choice("nope", Urgency, field="urgency", errors=e)
    assert clean_choice("", Urgency, field="u2", errors=e, required=False) == ""
    assert clean_decimal("1,234.5", field="n", errors=e) == Decimal("1234.50")
    clean_decimal("NaN", field="nan", errors=e)
    clean_decimal("-1", field="neg", errors=e, negative_message="不能为负")
    clean_decimal("500", field="range", errors=e, low=Decimal(0), high=Decimal(100))
    assert clean_date("2026-11-25", field="d", errors=e) == dt.date(2026, 11, 25)
    clean_date("2026-13-40", field="bad_date", errors=e)
    with pytest.raises(ValidationError) as exc:
        e.raise_if_any()
    assert set(exc.value.details) == {"title2", "nul", "long", "urgency", "nan", "neg", "range", "bad_date"}
    assert exc.value.details["neg"] == ["不能为负"]


def test_no_error_no_raise():
    e = Errors()
    clean_text("好", field="t", errors=e, required="必填")
    e.raise_if_any()
