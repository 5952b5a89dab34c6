"""Personal data: encryption at rest, keyed lookup hash, masking, validation.

* ``encrypt``/``decrypt``: AES-256-GCM with a key derived from ``settings.PII_KEY`` (from the
  environment). Stored as ``v1:<base64(nonce|ciphertext)>``.
* ``lookup_hash``: HMAC-SHA256 with a second derived key, for exact lookup ("is this ID number
  already registered?") without decrypting.
* ``mask_id_number`` (first 6 + last 4) and ``mask_phone`` (first 3 + last 4).
* ``normalize_id_number`` / ``normalize_phone`` / ``normalize_uscc`` validate with python-stdnum
  and raise ``ValidationError`` with a clear Chinese message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from .errors import ValidationError

_PREFIX = "v1:"

# GB/T 2260 province-level codes (the first two digits of every resident ID number).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    enc = hashlib.sha256(b"gongjian-pii-enc:" + master.encode()).digest()
    mac = hashlib.sha256(b"gongjian-pii-mac:" + master.encode()).digest()
    return enc, mac


def encrypt(plain: str | None) -> str:
    if not plain:
        return ""
    enc_key, _mac = _keys(settings.PII_KEY)
    nonce = os.urandom(12)
    ct = AESGCM(enc_key).encrypt(nonce, plain.encode("utf-8"), b"gongjian")
    return _PREFIX + base64.b64encode(nonce + ct).decode("ascii")


class DecryptionError(ValueError):
    """The stored value is not ours, was altered, or was encrypted with another key."""


def decrypt(token: str | None) -> str:
    if not token:
        return ""
    if not token.startswith(_PREFIX):
        raise DecryptionError("unknown ciphertext format")
    try:
        raw = base64.b64decode(token[len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("ciphertext is not valid base64") from None
    if len(raw) < 12 + 16:
        raise DecryptionError("ciphertext is too short")
    enc_key, _mac = _keys(settings.PII_KEY)
    try:
        return AESGCM(enc_key).decrypt(raw[:12], raw[12:], b"gongjian").decode("utf-8")
    except InvalidTag:
        raise DecryptionError("ciphertext was altered or the key is wrong") from None


def lookup_hash(normalized: str | None) -> str:
    if not normalized:
        return ""
    _enc, mac_key = _keys(settings.PII_KEY)
    return hmac.new(mac_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


def _mask_short(value: str) -> str:
    """A value too short for the standard mask: never show more than a quarter of it."""
    shown = len(value) // 4
    return value[:shown] + "*" * (len(value) - shown)


def mask_id_number(value: str | None) -> str:
    """First 6 + last 4 characters; the middle (birth date and sequence) hidden."""
    if not value:
        return ""
    if len(value) <= 12:
        return _mask_short(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """First 3 + last 4 characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return _mask_short(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# Separators people type or paste between groups of digits: spaces of every kind, hyphens and dashes.
_SEPARATORS = re.compile(r"[\s\u00a0\u3000\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+")
# What Excel shows for an 18-digit number stored as a number: 4.10103E+17 (the last digits are lost).
_EXCEL_FLOAT = re.compile(r"^\d(\.\d+)?E\+?\d+$")


def _plain(value: object) -> str:
    """Full-width digits and letters to ASCII (NFKC), surrounding space removed."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def compact(value: object) -> str:
    """A typed identifier without separators, full-width forms or case: for exact look-ups in searches."""
    return _SEPARATORS.sub("", _plain(value)).upper()


def normalize_id_number(value: str | None, *, field: str = "id_number") -> str:
    """Validate a resident ID number (GB 11643: 18 characters, check character right).

    Accepts what people type or paste: full-width digits, a lower-case x, spaces and dashes between
    groups. Refuses old 15-digit numbers and numbers Excel turned into floating point, each with its
    own reason.
    """
    raw = _SEPARATORS.sub("", _plain(value)).upper()
    if not raw:
        raise ValidationError.for_field(field, _("The ID number is required."))
    if _EXCEL_FLOAT.match(raw):
        raise ValidationError.for_field(
            field, _("The ID number was stored as a number by Excel and its last digits are lost; format the column as text and type it again.")
        )
    if len(raw) == 15 and raw.isascii() and raw.isdigit():
        raise ValidationError.for_field(field, _("This is an old 15-digit ID number; enter the 18-digit number of the current ID card."))
    if len(raw) != 18:
        raise ValidationError.for_field(field, _("The ID number must have 18 characters."))
    if not raw[:17].isascii() or not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise ValidationError.for_field(field, _("The ID number may only contain digits and a final X."))
    if raw[:2] not in PROVINCE_CODES:
        raise ValidationError.for_field(field, _("The ID number's first six digits are not a valid region code."))
    try:
        birth = ric.get_birth_date(raw)
    except (InvalidComponent, ValueError):
        raise ValidationError.for_field(field, _("The ID number contains an impossible birth date.")) from None
    if birth.year < 1900 or birth > timezone.localdate():
        raise ValidationError.for_field(field, _("The ID number contains an impossible birth date."))
    if raw[17] != ric.calc_check_digit(raw):
        raise ValidationError.for_field(field, _("The ID number's check character is wrong; please check it."))
    if not known_area_code(raw[:6]):
        raise ValidationError.for_field(field, _("The ID number's first six digits are not a valid region code."))
    return raw


@lru_cache(maxsize=4096)
def known_area_code(code: str) -> bool:
    """Is this a county-level code of GB/T 2260, in any year?

    Unlike ``stdnum.cn.ric.validate`` this does not ask whether the county existed in the birth
    year: ID numbers were issued from 1984 on with the codes of that time, so a resident of 二七区
    (410103, since 1983) born in 1959 rightly has 410103 in the number.
    """
    from stdnum import numdb

    if len(code) != 6 or not code.isdigit() or code[:2] not in PROVINCE_CODES:
        return False
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    return bool(info.get("county"))


def birth_date_from_id_number(value: str) -> dt.date:
    return ric.get_birth_date(value)


def gender_from_id_number(value: str) -> str:
    """'male' or 'female' from the 17th character."""
    return "male" if int(value[16]) % 2 == 1 else "female"


_PHONE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalize_phone(value: str | None, *, field: str = "phone", required: bool = False) -> str:
    """A mobile number as its 11 digits (``+86``/``0086``/``86``, spaces and dashes removed) or a landline."""
    raw = re.sub(r"[\s()]", "", _plain(value))
    raw = re.sub(r"[\u2010-\u2015\u2212\ufe58\ufe63]", "-", raw)
    if not raw:
        if required:
            raise ValidationError.for_field(field, _("The phone number is required."))
        return ""
    digits = raw.replace("-", "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and _PHONE.match(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
            break
    if _PHONE.match(digits):
        return digits
    if raw.startswith("+86"):
        raw = "0" + raw[3:].lstrip("-") if not raw[3:].lstrip("-").startswith("0") else raw[3:].lstrip("-")
    if _LANDLINE.match(raw):
        return raw
    if _LANDLINE.match(digits):
        return digits
    raise ValidationError.for_field(field, _("The phone number must be an 11-digit mobile number or a landline such as 0371-12345678."))


def normalize_uscc(value: str | None, *, field: str = "uscc", required: bool = True) -> str:
    """Validate a unified social credit code (GB 32100: 18 characters, check character right)."""
    raw = _SEPARATORS.sub("", _plain(value)).upper()
    if not raw:
        if required:
            raise ValidationError.for_field(field, _("The unified social credit code is required."))
        return ""
    try:
        return uscc.validate(raw)
    except InvalidLength:
        raise ValidationError.for_field(field, _("The unified social credit code must have 18 characters.")) from None
    except InvalidChecksum:
        raise ValidationError.for_field(field, _("The unified social credit code's check character is wrong; please check it.")) from None
    except (InvalidFormat, InvalidComponent, StdnumError):
        raise ValidationError.for_field(
            field, _("The unified social credit code contains characters that are not allowed (I, O, S, V, Z are never used).")
        ) from None
