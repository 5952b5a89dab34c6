from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from gongjian.core.errors import ValidationError
from gongjian.regions import services

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalog_is_complete_and_has_no_fuzzy_entries():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = text.split("\n\n")[1:]
    empty = [e for e in entries if re.search(r'^msgstr(\[0\])? ""\s*$', e, re.M) and 'msgid ""' not in e]
    assert empty == []
    assert PO.with_suffix(".mo").exists()


@pytest.mark.django_db
def test_errors_in_both_languages(tree, actors):
    for lang, expected in (("zh-hans", "统计代码只能包含数字"), ("en", "digits only")):
        with translation.override(lang):
            with pytest.raises(ValidationError) as err:
                services.region_create(actor=actors.erqi, code="41010300100x", name="x", level="community", parent=tree.sub_a)
            assert expected in str(err.value.details["code"][0])


@pytest.mark.django_db
def test_pages_in_english_after_switching(client, tree, actors):
    client.force_login(actors.erqi)
    html = client.get(reverse("regions:detail", args=[tree.erqi.code])).content.decode()
    assert "下级区域" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("regions:detail", args=[tree.erqi.code]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sub-regions" in html
