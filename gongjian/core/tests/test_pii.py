"""core.pii: encryption at rest, keyed lookup hash, masks and validation of ID numbers, phones, USCCs."""

from __future__ import annotations

import base64
import datetime as dt
import random

import pytest
from django.test import override_settings
from django.utils import translation
from stdnum.cn import ric

from gongjian.core import fakes, pii
from gongjian.core.errors import ValidationError

RNG = random.Random(7)


def _id(area: str = "410103", birth: dt.date = dt.date(1985, 6, 15), gender: str = "male") -> str:
    return fakes.id_number(RNG, area_code=area, birth=birth, gender=gender)


def _with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _message(exc: pytest.ExceptionInfo[ValidationError], field: str = "id_number") -> str:
    with translation.override("zh-hans"):
        return str(exc.value.details[field][0])


# --- encryption --------------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip_including_chinese_text():
    for plain in ("410103198506150031", "13800138000", "河南省郑州市二七区淮河路"):
        token = pii.encrypt(plain)
        assert token.startswith("v1:") and plain not in token
        assert pii.decrypt(token) == plain


def test_empty_values_stay_empty():
    assert pii.encrypt("") == "" and pii.encrypt(None) == ""
    assert pii.decrypt("") == "" and pii.decrypt(None) == ""


def test_each_encryption_uses_a_new_nonce():
    a, b = pii.encrypt("410103198506150031"), pii.encrypt("410103198506150031")
    assert a != b
    raw_a, raw_b = base64.b64decode(a[3:]), base64.b64decode(b[3:])
    assert raw_a[:12] != raw_b[:12]


@pytest.mark.parametrize("position", [0, 5, 12, 20, -1])
def test_tampered_ciphertext_is_refused(position):
    token = pii.encrypt("410103198506150031")
    raw = bytearray(base64.b64decode(token[3:]))
    raw[position] ^= 0x01
    with pytest.raises(pii.DecryptionError):
        pii.decrypt("v1:" + base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("bad", ["plaintext", "v1:not base64!!", "v1:" + base64.b64encode(b"short").decode(), "v2:abcd"])
def test_malformed_ciphertext_is_refused(bad):
    with pytest.raises(pii.DecryptionError):
        pii.decrypt(bad)
    assert issubclass(pii.DecryptionError, ValueError)


def test_another_key_cannot_decrypt():
    token = pii.encrypt("13800138000")
    with override_settings(PII_KEY="another-key"), pytest.raises(pii.DecryptionError):
        pii.decrypt(token)


def test_lookup_hash_is_stable_and_keyed():
    h1 = pii.lookup_hash("410103198506150031")
    assert h1 == pii.lookup_hash("410103198506150031")
    assert len(h1) == 64 and "410103" not in h1
    assert h1 != pii.lookup_hash("410103198506150032")
    with override_settings(PII_KEY="another-key"):
        assert pii.lookup_hash("410103198506150031") != h1
    assert pii.lookup_hash("") == "" and pii.lookup_hash(None) == ""


# --- masks -------------------------------------------------------------------------------------


def test_mask_id_number_shows_first_six_and_last_four():
    assert pii.mask_id_number("410103198506150031") == "410103********0031"


def test_mask_phone_shows_first_three_and_last_four():
    assert pii.mask_phone("13800138000") == "138****8000"
    assert pii.mask_phone("0371-12345678") == "037******5678"


@pytest.mark.parametrize(
    ("mask", "value"),
    [(m, v) for m in (pii.mask_id_number, pii.mask_phone) for v in ("1", "12", "1234", "12345678")] + [(pii.mask_id_number, "123456789012")],
)
def test_short_values_never_reveal_more_than_a_quarter(mask, value):
    for masked in (mask(value),):
        assert len(masked) == len(value)
        shown = len(masked.rstrip("*"))
        assert shown <= len(value) // 4
        assert masked.count("*") >= len(value) - len(value) // 4


def test_masks_of_empty_values():
    assert pii.mask_id_number("") == "" and pii.mask_id_number(None) == ""
    assert pii.mask_phone("") == "" and pii.mask_phone(None) == ""


# --- ID numbers --------------------------------------------------------------------------------


def test_valid_id_number_is_normalised():
    idn = _id(gender="female")
    assert pii.normalize_id_number(f" {idn[:6]} {idn[6:14]} {idn[14:]} ") == idn
    assert pii.gender_from_id_number(idn) == "female"
    assert pii.birth_date_from_id_number(idn) == dt.date(1985, 6, 15)


def test_lower_case_and_full_width_x_are_accepted():
    for n in range(2000):
        idn = fakes.id_number(RNG, area_code="410105", birth=dt.date(1990, 1, 1) + dt.timedelta(days=n), gender="male")
        if idn.endswith("X"):
            break
    else:  # pragma: no cover - a check character X comes about once in eleven
        pytest.fail("no ID number with X")
    assert pii.normalize_id_number(idn[:-1] + "x") == idn
    assert pii.normalize_id_number(idn[:-1] + "Ｘ") == idn


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "身份证号为必填项"),
        ("41010319850615003", "18"),
        ("4101031985061500311", "18"),
        ("41010319850615003A", "数字"),
        ("4101031985O615003X", "数字"),
    ],
)
def test_id_number_format_messages(value, expected):
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number(value)
    assert expected in _message(exc)


def test_wrong_check_character_has_its_own_message():
    idn = _id()
    wrong = idn[:-1] + ("0" if idn[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number(wrong)
    assert "校验码" in _message(exc)


@pytest.mark.parametrize("birth", ["19850230", "19851301", "18991231", "29990101"])
def test_impossible_birth_date(birth):
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number(_with_check(f"410103{birth}003"))
    assert "出生日期" in _message(exc)


@pytest.mark.parametrize("area", ["000000", "991234", "410199"])
def test_bad_region_code(area):
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number(_with_check(f"{area}19850615003"))
    assert "地区码" in _message(exc)


def test_custom_field_name_is_used_in_details():
    with pytest.raises(ValidationError) as exc:
        pii.normalize_id_number("123", field="secretary_id")
    assert "secretary_id" in exc.value.details


# --- phones and USCCs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"), ("0371-12345678", "0371-12345678"), ("(0371)12345678", "037112345678")],
)
def test_valid_phones(value, expected):
    assert pii.normalize_phone(value) == expected


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "138001380001", "abc", "110"])
def test_invalid_phones(value):
    with pytest.raises(ValidationError) as exc:
        pii.normalize_phone(value)
    assert "11 位手机号" in _message(exc, "phone")


def test_phone_required_only_when_asked():
    assert pii.normalize_phone("") == ""
    with pytest.raises(ValidationError) as exc:
        pii.normalize_phone(" ", required=True)
    assert "必填" in _message(exc, "phone")


def test_valid_uscc():
    code = fakes.uscc_code(RNG, area_code="410103", kind="organ")
    assert pii.normalize_uscc(code.lower()) == code


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c[:-1], "18"),
        (lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"), "校验码"),
        (lambda c: c[:5] + "I" + c[6:], "不使用"),
        (lambda c: "", "必填"),
    ],
)
def test_invalid_uscc_messages(mutate, expected):
    code = fakes.uscc_code(RNG, area_code="410103", kind="enterprise")
    with pytest.raises(ValidationError) as exc:
        pii.normalize_uscc(mutate(code))
    assert expected in _message(exc, "uscc")


def test_optional_uscc_may_be_empty():
    assert pii.normalize_uscc("", required=False) == ""


def test_region_code_need_not_exist_in_the_birth_year():
    """二七区 (410103) exists since 1983; ID numbers were issued later, so older residents carry it too."""
    idn = _with_check("41010319590105003")
    assert pii.normalize_id_number(idn) == idn
    assert fakes.id_number(RNG, area_code="410103", birth=dt.date(1950, 3, 3), gender="male").startswith("410103")
