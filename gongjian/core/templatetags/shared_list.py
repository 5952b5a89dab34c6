"""``{% shared_list %} … {% endshared_list %}``: what lies between is kept by ``core.listcache`` when the request's
view is marked ``shared_list`` (else it is simply drawn). ``layouts/list.html`` wraps its table in it."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Node, NodeList, Parser, Token

from gongjian.core import listcache

register = template.Library()


class SharedListNode(Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist: NodeList):
        self.nodelist = nodelist

    def render(self, context: Any) -> str:
        request = context.get("request")
        if request is None or not listcache.is_shared(request):
            return self.nodelist.render(context)
        return listcache.page_fragment(request, lambda: self.nodelist.render(context))


@register.tag("shared_list")
def shared_list(parser: Parser, token: Token) -> SharedListNode:
    nodelist = parser.parse(("endshared_list",))
    parser.delete_first_token()
    return SharedListNode(nodelist)
