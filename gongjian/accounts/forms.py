"""Forms only shape input; the rules live in services (which raise errors shown next to fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import StyledForm
from gongjian.core.kernel import Actor

from . import selectors
from .choices import Role
from .permissions import grantable_roles


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'　' * max(getattr(obj, 'depth', 0), 0)}{obj.name}（{obj.code}）"


class ScopeFieldsMixin(StyledForm):
    """Role + place; the place pickers only offer what lies inside the actor's area."""

    role = forms.ChoiceField(label=_("Role"))
    region = RegionChoiceField(label=_("Region"), queryset=None, required=False,
                               help_text=_("Administrators need a region of their level: city, district, subdistrict or community."))
    unit: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Resident unit"), queryset=None, required=False, help_text=_("For unit liaisons."))
    department: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Department"), queryset=None, required=False, help_text=_("For department handlers.")
    )

    def setup_scope_fields(self, actor: Actor) -> None:
        allowed = set(grantable_roles(actor))
        fields: Any = self.fields
        fields["role"].choices = [("", "---------")] + [(v, lbl) for v, lbl in Role.choices if v in allowed]
        fields["region"].queryset = selectors.grantable_regions(actor=actor)
        fields["unit"].queryset = selectors.grantable_units(actor=actor)
        fields["department"].queryset = selectors.grantable_departments(actor=actor)
        for name in ("role", "region", "unit", "department"):
            self.fields[name].widget.attrs.setdefault("class", "form-select")

    def scope_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"role": d["role"], "region": d.get("region"), "unit": d.get("unit"), "department": d.get("department")}


class AccountCreateForm(ScopeFieldsMixin):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=64, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("Initial password"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to have a random password generated and shown once."),
    )

    field_order = ["username", "display_name", "email", "role", "region", "unit", "department", "password"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_scope_fields(actor)
        for name in ("username", "display_name", "email", "password"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["username"].widget.attrs["autocomplete"] = "off"
        self.fields["password"].widget.attrs["autocomplete"] = "new-password"


class GrantForm(ScopeFieldsMixin):
    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_scope_fields(actor)


class PasswordResetForm(StyledForm):
    password = forms.CharField(
        label=_("New password"), required=False, widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
        help_text=_("Leave empty to have a random password generated and shown once."),
    )


class ProfileForm(StyledForm):
    display_name = forms.CharField(label=_("Display name"), max_length=64, required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    preferred_language = forms.ChoiceField(label=_("Language"), required=False, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["preferred_language"].choices = [("", _("Follow the browser")), *list(settings.LANGUAGES)]


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    new_password_again = forms.CharField(label=_("New password again"),
                                         widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}))
