"""Check-in and check-out codes: a signed token shown as a QR code at the place, bound to one shift, its current key,
the kind (in/out) and a nonce, valid for ``CODE_MAX_AGE`` seconds. The staff screen shows a new code every
``CODE_ROTATE_SECONDS``; renewing the shift's ``code_key`` voids every earlier code.

The token is ``django.core.signing`` (HMAC with the secret key, salt ``volunteering.checkin``): a forged or altered
token fails the signature, an old one the age check; a used one is refused by the ``CodeUse`` row (one per nonce,
member and kind)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import ValidationError

from ..choices import CodeKind

SALT = "volunteering.checkin"
CODE_MAX_AGE = 180  # seconds a code stays valid after it was shown
CODE_ROTATE_SECONDS = 60  # the staff screen shows a new code this often
OPEN_BEFORE = dt.timedelta(minutes=30)  # codes work from 30 minutes before the shift starts …
CLOSE_AFTER = dt.timedelta(hours=2)  # … until two hours after it ends


@dataclass(frozen=True)
class Code:
    shift_id: int
    key: str
    kind: str
    nonce: str


def new_key() -> str:
    return secrets.token_hex(16)


def make_token(shift: Any, kind: str, nonce: str | None = None) -> str:
    """A fresh signed code for the shift and kind (check-in or check-out)."""
    if kind not in CodeKind.values:
        raise ValueError(kind)
    return signing.dumps({"s": shift.pk, "k": shift.code_key, "t": kind, "n": nonce or secrets.token_hex(8)}, salt=SALT, compress=True)


def read_token(token: Any, *, max_age: int | None = None) -> Code:
    """The code inside a token, or a clear refusal (forged or damaged; expired)."""
    if not isinstance(token, str) or not token or len(token) > 400:
        raise ValidationError(_("This is not a check-in code of this system."), code="bad_code")
    try:
        data = signing.loads(token, salt=SALT, max_age=CODE_MAX_AGE if max_age is None else max_age)
    except signing.SignatureExpired:
        raise ValidationError(_("This code has expired; scan the code shown at the place now."), code="code_expired") from None
    except signing.BadSignature:
        raise ValidationError(_("This is not a check-in code of this system."), code="bad_code") from None
    try:
        code = Code(int(data["s"]), str(data["k"]), str(data["t"]), str(data["n"]))
    except (KeyError, TypeError, ValueError):
        raise ValidationError(_("This is not a check-in code of this system."), code="bad_code") from None
    if code.kind not in CodeKind.values or not code.nonce or len(code.nonce) > 32:
        raise ValidationError(_("This is not a check-in code of this system."), code="bad_code")
    return code


def window(shift: Any) -> tuple[dt.datetime, dt.datetime]:
    """When codes of the shift are accepted."""
    return shift.starts_at - OPEN_BEFORE, shift.ends_at + CLOSE_AFTER


def qr_svg(url: str) -> str:
    """The URL as an SVG QR code (a data: URI for an <img>)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
