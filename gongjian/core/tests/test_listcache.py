"""core.listcache: a shared list is kept for everyone of the same sight, and no write leaves it stale.

Also the per-request frame's caches moved by the same writes: the account's scope rows (core.scope) and the bell's
unread count (core.notify). The list cache is off in the test settings (factories write without the services); these
tests turn it on.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from gongjian.accounts import services as account_services
from gongjian.accounts.models import Role, Scope
from gongjian.core import audit, listcache, notify, registry
from gongjian.core.scope import actor_scopes
from gongjian.orgs import services as org_services
from gongjian.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(settings: Any) -> None:
    settings.GONGJIAN_LIST_CACHE = True


@pytest.fixture
def world(tree: Any) -> dict[str, Any]:
    org = f.party_org(tree.comm_a1, name="淮河社区第一党支部")
    org_b = f.party_org(tree.comm_b1, name="省供销社社区党支部")
    return {
        "tree": tree,
        "org": org,
        "a": f.member(org, name="张三"),
        "b": f.member(org_b, name="李四"),
        "erqi_1": f.user(Role.DISTRICT_ADMIN, region=tree.erqi),
        "erqi_2": f.user(Role.DISTRICT_ADMIN, region=tree.erqi),
        "jinshui": f.user(Role.DISTRICT_ADMIN, region=tree.jinshui),
        "city": f.user(Role.CITY_ADMIN, region=tree.city),
    }


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def names(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [m["name"] for m in resp.json()["items"]]


def queries(c: Client, path: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        resp = c.get(path)
    return len(ctx.captured_queries), resp


# --- the API -----------------------------------------------------------------------------------------------------------


def test_a_kept_answer_is_the_same_answer_without_its_queries(world: dict[str, Any], cache_on: None) -> None:
    c = client_for(world["erqi_1"])
    c.get("/api/v1/orgs/members")  # the account's scopes are cached from here: compare warm requests
    registry.bump("orgs")
    n_fresh, fresh = queries(c, "/api/v1/orgs/members")
    n_kept, kept = queries(c, "/api/v1/orgs/members")
    assert kept.content == fresh.content and names(kept) == ["张三"]
    assert kept["Content-Type"] == fresh["Content-Type"]
    assert n_kept < n_fresh, (n_kept, n_fresh)


def test_a_write_through_the_services_is_seen_at_once(world: dict[str, Any], cache_on: None) -> None:
    c = client_for(world["erqi_1"])
    assert names(c.get("/api/v1/orgs/members")) == ["张三"]
    org_services.member_update(actor=world["city"], member=world["a"], name="张三丰")  # audited: moves "orgs"
    assert names(c.get("/api/v1/orgs/members")) == ["张三丰"]


def test_the_same_scope_shares_and_another_scope_does_not(world: dict[str, Any], cache_on: None) -> None:
    assert names(client_for(world["erqi_1"]).get("/api/v1/orgs/members")) == ["张三"]
    with CaptureQueriesContext(connection) as ctx:
        assert names(client_for(world["erqi_2"]).get("/api/v1/orgs/members")) == ["张三"]
    assert not any("orgs_member" in q["sql"] for q in ctx.captured_queries)  # served from what 二七区's first admin saw
    assert names(client_for(world["jinshui"]).get("/api/v1/orgs/members")) == ["李四"]
    assert sorted(names(client_for(world["city"]).get("/api/v1/orgs/members"))) == ["张三", "李四"]


def test_the_query_string_and_the_language_are_part_of_the_key(world: dict[str, Any], cache_on: None) -> None:
    c = client_for(world["city"])
    assert sorted(names(c.get("/api/v1/orgs/members"))) == ["张三", "李四"]
    assert names(c.get("/api/v1/orgs/members", {"q": "李"})) == ["李四"]
    assert names(c.get("/api/v1/orgs/members", {"size": 1})) != names(c.get("/api/v1/orgs/members", {"size": 1, "page": 2}))
    from django.utils import translation

    with translation.override("en"):
        en = listcache.key_for(_get("/x"), world["city"], "api")
    assert en != listcache.key_for(_get("/x"), world["city"], "api")


def test_errors_are_not_kept(world: dict[str, Any], cache_on: None) -> None:
    c = client_for(world["city"])
    assert c.get("/api/v1/orgs/members", {"size": "x"}).status_code == 422
    stranger = client_for(f.user())
    assert stranger.get("/api/v1/orgs/members").status_code == 404
    assert names(c.get("/api/v1/orgs/members", {"size": 20})) != []


def test_off_by_setting(world: dict[str, Any], settings: Any) -> None:
    settings.GONGJIAN_LIST_CACHE = False
    c = client_for(world["erqi_1"])
    c.get("/api/v1/orgs/members")
    n1, _ = queries(c, "/api/v1/orgs/members")
    n2, _ = queries(c, "/api/v1/orgs/members")
    assert n1 == n2


# --- sight ---------------------------------------------------------------------------------------------------------------


def test_sight_of_scope_roles_is_shared_and_of_self_roles_is_the_account(world: dict[str, Any]) -> None:
    tree = world["tree"]
    assert listcache.sight(world["erqi_1"]) == listcache.sight(world["erqi_2"]) != listcache.sight(world["jinshui"])
    m1, m2 = f.user(Role.MEMBER, region=tree.comm_a1), f.user(Role.MEMBER, region=tree.comm_a1)
    assert Role.MEMBER in listcache._self_roles() and Role.RESIDENT in listcache._self_roles()
    assert listcache.sight(m1) != listcache.sight(m2)
    assert listcache.sight(f.user()) != listcache.sight(f.user())  # no scope: its own
    # a second role reaching its own records makes the account's lists its own, whatever the other role
    Scope.objects.create(user=world["erqi_2"], role=Role.MEMBER, kind="region", region=tree.comm_a1)
    world["erqi_2"]._gongjian_scopes = None
    del world["erqi_2"]._gongjian_scopes
    registry.bump("accounts")
    assert listcache.sight(world["erqi_2"])[0] == "account"


# --- what moves the versions ---------------------------------------------------------------------------------------------


def test_every_audited_write_moves_its_module_and_reads_move_nothing(world: dict[str, Any]) -> None:
    before = {m: registry.version(m) for m in registry.record_modules()}
    audit.record(actor=world["city"], verb="orgs.member.update", target=world["a"])
    audit.record(actor=world["city"], verb="pii.read", target=world["a"])
    audit.record(actor=world["city"], verb="orgs.member.export", target=world["a"])
    audit.record(actor=world["city"], verb="something", target="not a model")
    after = {m: registry.version(m) for m in registry.record_modules()}
    moved = {m for m in before if after[m] != before[m]}
    assert moved == {"orgs", "core"}
    assert after["orgs"] == before["orgs"] + 1  # now; the second move comes with the commit


def test_a_bump_moves_again_on_commit(world: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    v = registry.version("orgs")
    with django_capture_on_commit_callbacks(execute=True):
        registry.bump("orgs")
        assert registry.version("orgs") == v + 1
    assert registry.version("orgs") == v + 2


# --- pages ---------------------------------------------------------------------------------------------------------------


def _get(path: str, data: dict[str, str] | None = None, **extra: Any) -> Any:
    return RequestFactory().get(path, data or {}, **extra)


def test_a_kept_page_body_gets_each_request_its_own_csrf_token(world: dict[str, Any], cache_on: None) -> None:
    from django.middleware import csrf
    from django.middleware.csrf import get_token

    unmask = csrf._unmask_cipher_token  # type: ignore[attr-defined]

    drawn: list[int] = []

    def render(token: str) -> Any:
        def go() -> str:
            drawn.append(1)
            return f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{token}"><tr>row</tr></form>'
        return go

    r1, r2 = _get("/orgs/members/"), _get("/orgs/members/")
    for r in (r1, r2):
        r.user = world["erqi_1"]
    t1 = get_token(r1)
    html1 = listcache.page_fragment(r1, render(t1))
    html2 = listcache.page_fragment(r2, render("never used"))
    assert len(drawn) == 1  # the second was served from the cache
    def token(html: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert found is not None
        return found.group(1)

    assert "never used" not in html2 and t1 not in html2
    assert unmask(token(html1)) == r1.META["CSRF_COOKIE"]  # each request's token of its own secret
    assert unmask(token(html2)) == r2.META["CSRF_COOKIE"] != r1.META["CSRF_COOKIE"]
    assert "\x00" not in html2 and "<tr>row</tr>" in html2


def test_a_marked_list_page_is_kept_and_redrawn_after_a_write(world: dict[str, Any], cache_on: None) -> None:
    c = client_for(world["erqi_1"])
    first = c.get("/cobuild/needs/")
    assert first.status_code == 200
    n_kept, kept = queries(c, "/cobuild/needs/")
    n_fresh_before = n_kept
    registry.bump("cobuild")
    n_fresh, fresh = queries(c, "/cobuild/needs/")
    assert n_fresh > n_fresh_before
    strip = lambda r: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", r.content.decode())  # noqa: E731
    assert strip(kept) == strip(fresh)


# --- the frame: scopes and the bell ---------------------------------------------------------------------------------------


def test_a_revoked_scope_is_gone_from_the_next_request(world: dict[str, Any]) -> None:
    user = world["erqi_1"]
    c = client_for(user)
    assert c.get("/api/v1/orgs/members").status_code == 200
    scope = Scope.objects.get(user=user)
    account_services.scope_revoke(actor=world["city"], scope=scope)
    assert c.get("/api/v1/orgs/members").status_code == 404
    assert actor_scopes(type(user).objects.get(pk=user.pk)) == []


def test_scopes_are_read_once_per_version(world: dict[str, Any]) -> None:
    user = world["erqi_1"]
    accounts = [type(user).objects.get(pk=user.pk) for _ in range(3)]  # each request's own account object
    actor_scopes(accounts[0])
    with CaptureQueriesContext(connection) as ctx:
        rows = actor_scopes(accounts[1])
    assert len(ctx.captured_queries) == 0 and rows[0].region_path == world["tree"].erqi.path
    registry.bump("regions")  # a region renamed or moved
    with CaptureQueriesContext(connection) as ctx:
        actor_scopes(accounts[2])
    assert len(ctx.captured_queries) == 1


def test_the_bell_follows_sending_and_reading(world: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    user = world["erqi_1"]
    assert notify.unread_count(user) == 0
    with django_capture_on_commit_callbacks(execute=True):
        notify.send([user], verb="test", title="新的交办")
    assert notify.unread_count(user) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert notify.unread_count(user) == 1
    assert len(ctx.captured_queries) == 0
    from gongjian.core.views_notifications import notification_mark_all_read

    notification_mark_all_read(actor=user)
    assert notify.unread_count(user) == 0


def test_a_parameter_that_makes_the_list_the_accounts_own_keys_it_by_account(world: dict[str, Any]) -> None:
    request = _get("/api/v1/matters/", data={"mine": "1"})
    shared, own = ("a",), ("mine",)
    assert listcache.key_for(request, world["erqi_1"], "api", shared) == listcache.key_for(request, world["erqi_2"], "api", shared)
    assert listcache.key_for(request, world["erqi_1"], "api", own) != listcache.key_for(request, world["erqi_2"], "api", own)
    plain = _get("/api/v1/matters/")
    assert listcache.key_for(plain, world["erqi_1"], "api", own) == listcache.key_for(plain, world["erqi_2"], "api", own)


def test_a_view_that_finds_the_list_its_own_keys_it_by_account(world: dict[str, Any]) -> None:
    a, b = _get("/matters/"), _get("/matters/")
    assert listcache.key_for(a, world["erqi_1"], "page") == listcache.key_for(b, world["erqi_2"], "page")
    listcache.own(a)
    listcache.own(b)
    assert listcache.key_for(a, world["erqi_1"], "page") != listcache.key_for(b, world["erqi_2"], "page")


def test_the_kept_account_ends_with_its_deactivation_or_a_new_password(world: dict[str, Any]) -> None:
    """accounts.middleware keeps the signed-in account by the version of accounts: the services' writes end it."""
    for end in (lambda u: account_services.account_set_active(actor=world["city"], user=u, active=False),
                lambda u: account_services.password_reset(actor=world["city"], user=u, password="Another-Passw0rd-9")):
        user = f.user(Role.DISTRICT_ADMIN, region=world["tree"].erqi)
        c = client_for(user)
        assert c.get("/api/v1/orgs/members").status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/api/v1/orgs/members").status_code == 200
        assert not any('FROM "accounts_user"' in q["sql"] for q in ctx.captured_queries)  # the account was kept
        end(user)
        assert c.get("/api/v1/orgs/members").status_code == 401


def test_own_when_keys_an_api_answer_by_account_for_whom_it_says(world: dict[str, Any], cache_on: None) -> None:
    """An endpoint's answer is looked up before it runs: ``shared_list(own_when=…)`` says whose list is his own."""
    from django.http import HttpResponse, JsonResponse

    def wired(own_when: Any) -> Any:
        calls: list[int] = []

        def view(request: Any) -> dict[str, int]:
            calls.append(request.user.pk)
            return {"who": request.user.pk}

        op = type("Op", (), {})()
        op.view_func = listcache.shared_list(own_when=own_when)(view)
        op._result_to_response = lambda request, result, temporal: JsonResponse(result)
        listcache._wire(op)

        def answer(user: Any, path: str) -> int:
            request = RequestFactory().get(path)
            request.user = user
            result = op.view_func(request)
            response = result if isinstance(result, HttpResponse) else op._result_to_response(request, result, None)
            return int(re.search(rb'"who": (\d+)', response.content).group(1))  # type: ignore[union-attr]

        return answer, calls

    answer, calls = wired(lambda request, actor: actor.pk == world["erqi_2"].pk)
    assert answer(world["erqi_1"], "/own-when") == world["erqi_1"].pk
    assert answer(world["erqi_2"], "/own-when") == world["erqi_2"].pk  # his own: not the kept answer of his colleague
    assert answer(world["erqi_1"], "/own-when") == world["erqi_1"].pk and len(calls) == 2  # the first one's, kept
    shared, _calls = wired(None)  # the control: without own_when the two of the same sight share
    assert shared(world["erqi_1"], "/shared") == world["erqi_1"].pk
    assert shared(world["erqi_2"], "/shared") == world["erqi_1"].pk
