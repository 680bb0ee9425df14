"""Console pages: inbox, reply editor (with the gate), funnel dashboard and VOC render for real data."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.reviews.models import ReplyStatus
from tests.builders import make_review, make_sku

Headers = Callable[..., dict[str, str]]


def test_the_inbox_lists_a_five_star_negative_review_flagged(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    make_review(session, stars=5, text="质量太差了,用了两天就坏了")
    page = client.get("/console/reviews", params={"mismatch": "true"}, headers=auth_headers(Role.AGENT))
    assert (page.status_code, "五星差评" in page.text) == (200, True)


def test_the_reply_editor_shows_the_draft_with_its_selling_point(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    sku = make_sku(session, selling_points=["红外夜视"])
    review = make_review(session, sku=sku, stars=5, text="画面很清晰")
    page = client.get(f"/console/reviews/{review.id}", headers=auth_headers(Role.AGENT))
    assert "红外夜视" in page.text


def test_an_agent_posting_a_negative_reply_from_the_console_is_refused(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    review = make_review(session, stars=1, text="坏了")
    response = client.post(
        f"/console/reviews/{review.id}/reply",
        data={"text": "亲,我们马上为您处理。", "action": "post"},
        headers=auth_headers(Role.AGENT),
        follow_redirects=False,
    )
    session.refresh(review)
    assert (response.status_code, review.reply_status) == (403, ReplyStatus.DRAFT)


def test_the_funnel_dashboard_renders_for_supervisors(client: TestClient, auth_headers: Headers) -> None:
    page = client.get(
        "/console/reviews/funnel", params={"by": "agent"}, headers=auth_headers(Role.SUPERVISOR)
    )
    assert (page.status_code, "邀评率" in page.text) == (200, True)


def test_the_voc_page_counts_topics_per_sku(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    sku = make_sku(session)
    make_review(session, sku=sku, stars=1, text="物流太慢了")
    page = client.get("/console/reviews/voc", params={"sku_id": sku.id}, headers=auth_headers(Role.AGENT))
    assert "物流" in page.text
