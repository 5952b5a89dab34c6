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
import hashlib
import hmac
import os
import re
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from .errors import ValidationError

_PREFIX = "v1:"


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


def decrypt(token: str | None) -> str:
    if not token:
        return ""
    if not token.startswith(_PREFIX):
        raise ValueError("unknown ciphertext format")
    raw = base64.b64decode(token[len(_PREFIX) :])
    enc_key, _mac = _keys(settings.PII_KEY)
    return AESGCM(enc_key).decrypt(raw[:12], raw[12:], b"gongjian").decode("utf-8")


def lookup_hash(normalized: str | None) -> str:
    if not normalized:
        return ""
    _enc, mac_key = _keys(settings.PII_KEY)
    return hmac.new(mac_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 7:
        return value[:1] + "*" * max(len(value) - 1, 0)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def normalize_id_number(value: str | None, *, field: str = "id_number") -> str:
    """Validate a resident ID number (GB 11643: 18 characters, check character right)."""
    raw = re.sub(r"\s+", "", str(value or "")).upper().replace("Ｘ", "X")
    if not raw:
        raise ValidationError.for_field(field, _("The ID number is required."))
    try:
        return ric.validate(raw)
    except InvalidLength:
        raise ValidationError.for_field(field, _("The ID number must have 18 characters.")) from None
    except InvalidChecksum:
        raise ValidationError.for_field(field, _("The ID number's check character is wrong; please check it.")) from None
    except InvalidComponent:
        raise ValidationError.for_field(field, _("The ID number contains an impossible birth date or region code.")) from None
    except (InvalidFormat, StdnumError):
        raise ValidationError.for_field(field, _("The ID number may only contain digits and a final X.")) from None


def birth_date_from_id_number(value: str):  # type: ignore[no-untyped-def]
    return ric.get_birth_date(value)


def gender_from_id_number(value: str) -> str:
    """'male' or 'female' from the 17th character."""
    return "male" if int(value[16]) % 2 == 1 else "female"


_PHONE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalize_phone(value: str | None, *, field: str = "phone", required: bool = False) -> str:
    raw = re.sub(r"[\s()（）]", "", str(value or ""))
    if raw.startswith("+86"):
        raw = raw[3:]
    if not raw:
        if required:
            raise ValidationError.for_field(field, _("The phone number is required."))
        return ""
    if _PHONE.match(raw) or _LANDLINE.match(raw):
        return raw
    raise ValidationError.for_field(field, _("The phone number must be an 11-digit mobile number or a landline such as 0371-12345678."))


def normalize_uscc(value: str | None, *, field: str = "uscc", required: bool = True) -> str:
    """Validate a unified social credit code (GB 32100: 18 characters, check character right)."""
    raw = re.sub(r"\s+", "", str(value or "")).upper()
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
