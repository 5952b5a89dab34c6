"""The page and API toolkit (core.pages.form_page, core.apikit.Actions, core.tabular.Importer.upsert) on its own."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from ninja import Router, Schema
from ninja.testing import TestClient

from gongjian.core import pages
from gongjian.core.apikit import Actions, ReasonIn
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from gongjian.core.tabular import Importer


class NameForm(forms.Form):
    name = forms.CharField(max_length=10)


def _request(method: str = "get", data: dict[str, str] | None = None) -> Any:
    request = getattr(RequestFactory(), method)("/x/", data or {})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


class Service:
    """A stand-in service that records its calls and answers or raises what it is told."""

    def __init__(self, answer: Any = "made", error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer, self.error = answer, error

    def __call__(self, data: dict[str, Any]) -> Any:
        self.calls.append(dict(data))
        if self.error is not None:
            raise self.error
        return self.answer


def _page(request: Any, service: Service, **kw: Any) -> HttpResponse:
    form = NameForm(request.POST or None)
    kw.setdefault("success", "/done/")
    return pages.form_page(request, form, save=service, template="core/form.html", context={"title": "T"}, **kw)


def test_get_shows_the_form_and_calls_nothing():
    service = Service()
    resp = _page(_request(), service)
    assert resp.status_code == 200 and service.calls == []


def test_an_invalid_form_answers_400_and_the_service_is_not_called():
    service = Service()
    resp = _page(_request("post", {"name": "x" * 11}), service)
    assert resp.status_code == 400 and service.calls == []


def test_success_calls_the_service_once_and_redirects_with_the_message():
    service = Service()
    request = _request("post", {"name": "王"})
    resp = _page(request, service, message=lambda made: f"saved {made}")
    assert (resp.status_code, resp["Location"]) == (302, "/done/")
    assert service.calls == [{"name": "王"}]
    assert [str(m) for m in request._messages] == ["saved made"]


def test_a_service_error_lands_on_its_field_with_400():
    service = Service(error=ValidationError.for_field("name", "名称已被使用"))
    resp = _page(_request("post", {"name": "王"}), service)
    assert resp.status_code == 400
    assert "名称已被使用" in resp.content.decode()


def test_a_conflict_without_a_field_shows_at_the_top():
    service = Service(error=Conflict("已被他人修改"))
    resp = _page(_request("post", {"name": "王"}), service)
    assert resp.status_code == 400 and "已被他人修改" in resp.content.decode()


@pytest.mark.parametrize("error", [PermissionDenied(), NotFound()])
def test_not_allowed_and_not_found_keep_their_own_pages(error):
    with pytest.raises(type(error)):
        _page(_request("post", {"name": "王"}), Service(error=error))


def test_on_form_keeps_a_named_status_on_the_form():
    resp = _page(_request("post", {"name": "王"}), Service(error=PermissionDenied("此党员未在本社区报到")), on_form=(403,))
    assert resp.status_code == 400 and "此党员未在本社区报到" in resp.content.decode()
    with pytest.raises(NotFound):
        _page(_request("post", {"name": "王"}), Service(error=NotFound()), on_form=(403,))


def test_success_may_answer_a_page_of_its_own():
    resp = _page(_request("post", {"name": "王"}), Service(answer="s3cret"), success=lambda made: HttpResponse(f"once: {made}"))
    assert (resp.status_code, resp.content) == (200, b"once: s3cret")


def test_form_name_puts_the_form_under_another_name():
    request = _request("post", {"name": ""})
    form = NameForm(request.POST)
    seen: dict[str, Any] = {}

    def render_spy(_request: Any, _template: str, context: dict[str, Any], status: int) -> HttpResponse:
        seen.update(context, status=status)
        return HttpResponse(status=status)

    mp = pytest.MonkeyPatch()
    mp.setattr(pages, "render", render_spy)
    try:
        pages.form_page(request, form, save=Service(), success="/", form_name="reset_form", context={"form": "the other form"})
    finally:
        mp.undo()
    assert seen["reset_form"] is form and seen["form"] == "the other form" and seen["status"] == 400


# --- apikit.Actions ----------------------------------------------------------------------------


class ThingOut(Schema):
    id: int
    state: str


THINGS: dict[int, dict[str, Any]] = {}


def _load(request: Any, pk: int) -> dict[str, Any]:
    if pk not in THINGS:
        raise NotFound()
    return THINGS[pk]


def _close(*, actor: Any, thing: dict[str, Any], reason: str = "") -> None:
    if not reason:
        raise ValidationError.for_field("reason", "请填写原因")
    thing["state"] = f"closed: {reason}"


def _open(*, actor: Any, thing: dict[str, Any]) -> None:
    thing["state"] = "open"


def _client() -> TestClient:
    router = Router()
    thing_action = Actions(router, "/things/{thing_id}", response=ThingOut, record="thing", load=_load,
                           out=lambda request, t: t, module=__name__)
    thing_action("open", _open, "Open it")
    thing_action("close", _close, "Close it (reason required)", ReasonIn)
    return TestClient(router)


def test_actions_load_call_and_answer_the_record():
    THINGS.clear()
    THINGS[7] = {"id": 7, "state": "new"}
    client = _client()
    assert client.post("/things/7/open").json() == {"id": 7, "state": "open"}
    assert client.post("/things/7/close", json={"reason": "已解决"}).json() == {"id": 7, "state": "closed: 已解决"}


def test_actions_pass_errors_on_and_keep_the_record_unchanged():
    THINGS.clear()
    THINGS[7] = {"id": 7, "state": "new"}
    client = _client()
    with pytest.raises(ValidationError):
        client.post("/things/7/close", json={"reason": ""})
    assert THINGS[7]["state"] == "new"
    with pytest.raises(NotFound):
        client.post("/things/8/open")


def test_actions_keep_the_names_a_hand_written_endpoint_had():
    router = Router()
    action = Actions(router, "/things/{thing_id}", response=ThingOut, record="thing", load=_load, out=lambda r, t: t, module="x.api")
    endpoint = action("to-matter", _open, "Turn it into a matter")
    assert (endpoint.__name__, endpoint.__module__) == ("thing_to_matter", "x.api")
    with pytest.raises(ValueError, match="names no record id"):
        Actions(router, "/things", response=ThingOut, record="thing", load=_load, out=lambda r, t: t, module="x.api")


# --- Importer.upsert ----------------------------------------------------------------------------


def test_upsert_outcomes():
    made: list[str] = []
    snap = dict.copy
    assert Importer.upsert(None, create=lambda: made.append("new"), update=lambda r: r, snapshot=snap) == "created"
    assert made == ["new"]
    record = {"name": "a"}
    assert Importer.upsert(record, create=lambda: None, update=lambda r: r, snapshot=snap) == "unchanged"
    assert Importer.upsert(record, create=lambda: None, update=lambda r: {**r, "name": "b"}, snapshot=snap) == "updated"
    called: list[str] = []
    assert Importer.upsert(record, create=lambda: None, update=lambda r: called.append("x"), snapshot=snap, frozen=True) == "unchanged"
    assert called == []
