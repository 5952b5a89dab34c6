"""Writes of service posts, service brands, activities and shifts, sign-ups and the waiting list, check-in and
check-out, hours and points.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds records inside the actor's scope
(outside = NotFound), validates every field before writing (nothing is written on error), runs in one transaction,
writes an audit event and bumps the volunteering figures on commit.

Concurrency (decision 0010):

* **Capacity** — a place on a shift is taken by ONE conditional statement
  ``UPDATE … SET taken = taken + 1 WHERE id = %s AND taken < capacity AND NOT is_cancelled``; the row lock it takes
  serialises sign-ups for that shift, and the check constraint ``vol_shift_taken_within_capacity`` is the backstop.
  The waiting list and cancellations lock the shift's row (``select_for_update``) so positions and promotions follow
  the order of arrival.
* **Posts** — approving an application locks the post's row and counts its holders: never more than ``needed``.
* **Hours** — one record per sign-up (a one-to-one column): a second check-out is refused.
"""

from __future__ import annotations

from ...models import Shift  # views look a check-in code's shift up through here
from .activities import (
    activity_cancel,
    activity_create,
    activity_finish,
    activity_publish,
    activity_snapshot,
    activity_update,
    liaison_units,
    shift_cancel,
    shift_create,
    shift_rotate_key,
    shift_snapshot,
    shift_update,
)
from .base import HOURS_STEP, MAX_CAPACITY, MAX_NEEDED, SHIFT_MANAGE_SCOPE, SIGNUP_MANAGE_SCOPE, member_community
from .brands import brand_create, brand_snapshot, brand_update
from .hours import check_by_code, check_by_staff, hours_confirm, hours_credit, hours_reject, may_manage, point_rule_update, shift_hours
from .posts import holding_apply, holding_approve, holding_end, holding_reject, holding_withdraw, post_close, post_create, post_snapshot, post_update
from .signups import JOIN_WAITING_SQL, TAKE_PLACE_SQL, full_message, signup_cancel, signup_create, take_place

__all__ = [
    "HOURS_STEP",
    "JOIN_WAITING_SQL",
    "MAX_CAPACITY",
    "MAX_NEEDED",
    "SHIFT_MANAGE_SCOPE",
    "SIGNUP_MANAGE_SCOPE",
    "TAKE_PLACE_SQL",
    "Shift",
    "activity_cancel",
    "activity_create",
    "activity_finish",
    "activity_publish",
    "activity_snapshot",
    "activity_update",
    "brand_create",
    "brand_snapshot",
    "brand_update",
    "check_by_code",
    "check_by_staff",
    "full_message",
    "holding_apply",
    "holding_approve",
    "holding_end",
    "holding_reject",
    "holding_withdraw",
    "hours_confirm",
    "hours_credit",
    "hours_reject",
    "liaison_units",
    "may_manage",
    "member_community",
    "point_rule_update",
    "post_close",
    "post_create",
    "post_snapshot",
    "post_update",
    "shift_cancel",
    "shift_create",
    "shift_hours",
    "shift_rotate_key",
    "shift_snapshot",
    "shift_update",
    "signup_cancel",
    "signup_create",
    "take_place",
]
