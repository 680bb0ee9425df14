"""The review endpoints end to end: the approval gate, masking and input errors."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.messaging.models import OutboxMessage
from aftersales.reviews.models import ReplyStatus, Review
from tests.builders import make_review, make_shop

Headers = Callable[..., dict[str, str]]


def _outbox(session: Session, review: Review) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(
        OutboxMessage.subject_type == "review", OutboxMessage.subject_id == review.id
    )
    return list(session.scalars(statement))


class TestApprovalGate:
    def test_an_agent_cannot_post_a_reply_to_a_negative_review(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=1, text="质量太差了")
        response = client.post(f"/api/reviews/{review.id}/reply/post", headers=auth_headers(Role.AGENT))
        assert (response.status_code, response.json()["error"]) == (403, "ReplyApprovalRequiredError")

    def test_the_refused_post_queues_nothing(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=2, text="快递太慢")
        client.post(f"/api/reviews/{review.id}/reply/post", headers=auth_headers(Role.AGENT))
        assert _outbox(session, review) == []

    def test_an_agent_cannot_post_a_reply_to_a_five_star_negative_review(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=5, text="质量太差了,用了两天就坏了")
        response = client.post(f"/api/reviews/{review.id}/reply/post", headers=auth_headers(Role.AGENT))
        assert response.status_code == 403

    def test_a_supervisor_approves_and_the_reply_goes_to_the_outbox(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=1, text="质量太差了")
        response = client.post(f"/api/reviews/{review.id}/reply/post", headers=auth_headers(Role.SUPERVISOR))
        session.refresh(review)
        messages = _outbox(session, review)
        assert (response.status_code, review.reply_status, [m.channel for m in messages]) == (
            200,
            ReplyStatus.POSTED,
            ["review_reply"],
        )

    def test_the_supervisors_edited_text_is_what_gets_posted(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=2, text="快递太慢")
        headers = auth_headers(Role.SUPERVISOR)
        client.put(
            f"/api/reviews/{review.id}/reply", json={"text": "亲,物流已催促,抱歉久等。"}, headers=headers
        )
        client.post(f"/api/reviews/{review.id}/reply/post", headers=headers)
        assert _outbox(session, review)[0].payload["text"] == "亲,物流已催促,抱歉久等。"

    def test_an_agent_may_post_a_reply_to_a_positive_review(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=5, text="很满意,物流很快")
        response = client.post(f"/api/reviews/{review.id}/reply/post", headers=auth_headers(Role.AGENT))
        assert response.status_code == 200

    def test_a_posted_reply_cannot_be_edited(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, stars=5, text="很满意")
        headers = auth_headers(Role.AGENT)
        client.post(f"/api/reviews/{review.id}/reply/post", headers=headers)
        response = client.put(
            f"/api/reviews/{review.id}/reply", json={"text": "改一下回复内容"}, headers=headers
        )
        assert response.status_code == 409


class TestInbox:
    def test_filters_by_mismatch(self, client: TestClient, session: Session, auth_headers: Headers) -> None:
        shop = make_shop(session)
        make_review(session, shop=shop, stars=5, text="很满意")
        flagged = make_review(session, shop=shop, stars=5, text="质量太差了,用了两天就坏了")
        response = client.get(
            "/api/reviews", params={"shop_id": shop.id, "mismatch": True}, headers=auth_headers(Role.AGENT)
        )
        assert [r["id"] for r in response.json()["items"]] == [flagged.id]

    def test_buyer_accounts_are_masked_for_agents(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        review = make_review(session, buyer="小明同学")
        body = client.get(f"/api/reviews/{review.id}", headers=auth_headers(Role.AGENT)).json()
        assert body["buyer"] == "小***"

    def test_stars_out_of_range_are_a_422_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = {"shop_code": shop.code, "review_id": "X1", "stars": 6, "reviewed_at": "2026-11-12T10:00:00"}
        response = client.post("/api/reviews", json=body, headers=auth_headers(Role.AGENT))
        assert (response.status_code, "stars" in response.text) == (422, True)


def test_the_inbox_flags_a_professional_bad_reviewer(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    shop = make_shop(session)
    review = make_review(session, shop=shop, buyer="差评专业户", stars=1, text="垃圾")
    body = {"platform": str(shop.platform), "buyer": "差评专业户", "reason": "多店铺索赔记录"}
    client.post("/api/reviewers/marks", json=body, headers=auth_headers(Role.SUPERVISOR))
    items = client.get("/api/reviews", params={"shop_id": shop.id}, headers=auth_headers(Role.AGENT)).json()
    assert [(i["id"], i["professional_reviewer"]) for i in items["items"]] == [(review.id, True)]


def test_an_agent_cannot_mark_a_reviewer(client: TestClient, auth_headers: Headers) -> None:
    body = {"platform": "tmall", "buyer": "someone", "reason": "怀疑"}
    assert client.post("/api/reviewers/marks", json=body, headers=auth_headers(Role.AGENT)).status_code == 403
