"""The detail-page panel extension point (aftersales/web/panels.py): which cards a page shows for
its ids, the placeholder markup, and what a panel's route returns."""

import pytest

from aftersales.web.panels import Panel, cards_for, no_panel, register_panel
from aftersales.web.render import templates

ORDER = Panel("测试订单面板", "/console/x/panels/order/{order_id}")
TICKET = Panel("测试工单面板", "/console/x/panels/ticket/{ticket_id}")


@pytest.fixture(autouse=True, scope="module")
def registered() -> None:
    register_panel("panels_test_page", ORDER)
    register_panel("panels_test_page", TICKET)


def test_a_panel_formats_its_url_over_the_pages_ids() -> None:
    assert ORDER.needs == {"order_id"}
    assert ORDER.url_for({"order_id": 7, "ticket_id": 3}) == "/console/x/panels/order/7"


def test_a_panel_needing_an_id_the_page_lacks_is_skipped() -> None:
    assert ORDER.url_for({"ticket_id": 3}) is None
    assert ORDER.url_for({"ticket_id": 3, "order_id": None}) is None
    cards = cards_for("panels_test_page", {"ticket_id": 3, "order_id": None})
    assert [(c.title, c.url) for c in cards] == [("测试工单面板", "/console/x/panels/ticket/3")]


def test_cards_keep_the_registration_order() -> None:
    cards = cards_for("panels_test_page", {"ticket_id": 3, "order_id": 7})
    assert [c.title for c in cards] == ["测试订单面板", "测试工单面板"]
    assert cards_for("no_such_page", {"order_id": 7}) == []


def test_the_placeholder_loads_the_card_and_swaps_itself_out() -> None:
    html = templates().env.get_template("_panels.html").render(page="panels_test_page", ids={"order_id": 7})
    assert 'hx-get="/console/x/panels/order/7"' in html
    assert 'hx-trigger="load"' in html
    assert 'hx-swap="outerHTML"' in html
    assert "测试工单面板" not in html


def test_the_card_carries_its_title_and_tone() -> None:
    source = '{% extends "_panel.html" %}{% block body %}<p>正文</p>{% endblock %}'
    template = templates().env.from_string(source)
    card = template.render(panel=ORDER, tone="warn")
    assert 'data-panel="测试订单面板"' in card
    assert 'data-tone="warn"' in card
    assert '<span class="badge warn">!</span>' in card
    assert "<p>正文</p>" in card
    assert "data-tone" not in template.render(panel=ORDER, tone="")


def test_nothing_to_say_is_an_empty_body() -> None:
    response = no_panel()
    assert response.status_code == 200
    assert response.body == b""
