"""Writes of the regions module: the region tree, departments, the governance committee and the
subdistrict structure (offices, staff quotas, delegated powers), one module per capability.

Every function is one transaction, takes ``actor=``, checks the permission and the scope, validates
before writing anything, and records an audit event. Import from here (``from gongjian.regions import
services``; ``from gongjian.regions.services import region_create``): the submodules are the layout.
"""

from __future__ import annotations

from ..choices import clean_code
from .codes import (
    DEFAULT_KIND,
    KIND_ALIASES,
    LEVEL_ALIASES,
    NAME_MAX,
    SIGNIFICANT,
    clean_kind,
    clean_level,
    clean_name,
    code_shape_error,
    parent_error,
    significant_prefix,
)
from .committee import committee_save
from .common import MODULE
from .departments import DEPT_FIELDS, PHONE_CHARS, department_activate, department_create, department_deactivate, department_update
from .powers import POWER_FIELDS, power_create, power_deactivate, power_update
from .structure import (
    OFFICE_FIELDS,
    QUOTA_FIELDS,
    office_create,
    office_deactivate,
    office_set_active,
    office_template_save,
    office_update,
    quota_create,
    quota_delete,
    quota_update,
    structure_instantiate,
)
from .tree import REGION_FIELDS, refresh_full_names, region_activate, region_create, region_deactivate, region_update

__all__ = [
    "DEFAULT_KIND",
    "DEPT_FIELDS",
    "KIND_ALIASES",
    "LEVEL_ALIASES",
    "MODULE",
    "NAME_MAX",
    "OFFICE_FIELDS",
    "PHONE_CHARS",
    "POWER_FIELDS",
    "QUOTA_FIELDS",
    "REGION_FIELDS",
    "SIGNIFICANT",
    "clean_code",
    "clean_kind",
    "clean_level",
    "clean_name",
    "code_shape_error",
    "committee_save",
    "department_activate",
    "department_create",
    "department_deactivate",
    "department_update",
    "office_create",
    "office_deactivate",
    "office_set_active",
    "office_template_save",
    "office_update",
    "parent_error",
    "power_create",
    "power_deactivate",
    "power_update",
    "quota_create",
    "quota_delete",
    "quota_update",
    "refresh_full_names",
    "region_activate",
    "region_create",
    "region_deactivate",
    "region_update",
    "significant_prefix",
    "structure_instantiate",
]
