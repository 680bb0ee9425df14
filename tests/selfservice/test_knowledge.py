import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import InvalidInputError
from aftersales.selfservice import bot, faq, knowledge, quickreplies
from aftersales.selfservice.errors import KnowledgeEditConflictError
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.knowledge_models import KnowledgeArticle
from tests.builders import make_article, make_shop, make_user

NEW_POLICY = "签收后十五天内商品完好可申请无理由退货,运费险可抵扣退货运费。"


class TestVersions:
    def test_every_edit_is_a_new_version_with_its_author(self, session: Session) -> None:
        editor = make_user(session, role=Role.SUPERVISOR)
        article = make_article(session)
        knowledge.edit(
            session,
            article_id=article.id,
            title=article.title,
            body=NEW_POLICY,
            author_id=editor.id,
            base_version=1,
        )
        versions = knowledge.history(session, article.id)
        assert [(v.version, v.author_id) for v in versions] == [(2, editor.id), (1, None)]
        assert article.body == NEW_POLICY

    def test_edit_from_a_stale_version_is_refused(self, session: Session) -> None:
        article = make_article(session)
        knowledge.edit(
            session, article_id=article.id, title="新标题", body=NEW_POLICY, author_id=None, base_version=1
        )
        with pytest.raises(KnowledgeEditConflictError):
            knowledge.edit(
                session,
                article_id=article.id,
                title="另一个",
                body="别的内容",
                author_id=None,
                base_version=1,
            )

    def test_restore_writes_the_old_text_as_the_newest_version(self, session: Session) -> None:
        article = make_article(session)
        original = article.body
        knowledge.edit(
            session,
            article_id=article.id,
            title=article.title,
            body=NEW_POLICY,
            author_id=None,
            base_version=1,
        )
        knowledge.restore(session, article_id=article.id, version=1, author_id=None)
        assert (article.version, article.body) == (3, original)
        assert knowledge.history(session, article.id)[0].note == "恢复自第 1 版"

    def test_restoring_a_missing_version_names_the_field(self, session: Session) -> None:
        article = make_article(session)
        with pytest.raises(InvalidInputError) as error:
            knowledge.restore(session, article_id=article.id, version=9, author_id=None)
        assert error.value.field == "version"

    def test_empty_body_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInputError):
            make_article(session, body="   ")


class TestSearch:
    def test_finds_an_article_by_a_word_of_its_body(self, session: Session) -> None:
        article = make_article(session)
        make_article(session, title="发票开具说明", body="电子发票开具后发送到邮箱。")
        hits = knowledge.search(session, query="运费谁承担")
        assert [hit.article.id for hit in hits][:1] == [article.id]

    def test_title_hits_rank_first(self, session: Session) -> None:
        in_body = make_article(session, title="换货说明", body="换货寄回后优先换出,不影响发票。")
        in_title = make_article(session, title="发票抬头修改", body="开具前可以修改。")
        ids = [hit.article.id for hit in knowledge.search(session, query="发票")]
        assert ids.index(in_title.id) < ids.index(in_body.id)

    def test_a_shop_does_not_see_another_shops_articles(self, session: Session) -> None:
        mine, other = make_shop(session), make_shop(session)
        make_article(session, shop_id=other.id, title="以旧换新规则", body="旧床垫可抵扣 200 元。")
        assert knowledge.search(session, query="以旧换新", shop_id=mine.id) == []
        assert len(knowledge.search(session, query="以旧换新", shop_id=other.id)) == 1

    def test_query_of_punctuation_only_finds_nothing(self, session: Session) -> None:
        make_article(session)
        assert knowledge.search(session, query="?!。") == []


class TestBotAndQuickReplies:
    def test_migration_seeded_an_answer_article_per_default_faq_entry(self, session: Session) -> None:
        rows = session.scalars(select(KnowledgeArticle).where(KnowledgeArticle.shop_id.is_(None))).all()
        assert {row.intent for row in rows} == set(get_intents())

    def test_bot_answers_with_the_current_version(self, session: Session) -> None:
        shop = make_shop(session)
        article = knowledge.answer_article(session, shop_id=None, intent="invoice")
        assert article is not None
        text = "本店电子发票在确认收货后 24 小时内开具。"
        knowledge.edit(
            session,
            article_id=article.id,
            title=article.title,
            body=text,
            author_id=None,
            base_version=article.version,
        )
        reply = bot.ask(session, text="可以开发票吗", session_key="kb-1", shop_id=shop.id)
        assert text in reply.answer

    def test_faq_edit_becomes_a_knowledge_version(self, session: Session) -> None:
        shop = make_shop(session)
        faq.save_answer(
            session, shop_id=shop.id, intent="invoice", answer="本店发票周一统一开具。", user_id=None
        )
        article = knowledge.answer_article(session, shop_id=shop.id, intent="invoice")
        assert article is not None
        assert article.body == "本店发票周一统一开具。"

    def test_published_quick_reply_follows_new_versions(self, session: Session) -> None:
        article = make_article(session)
        reply = knowledge.publish_as_quick_reply(session, article_id=article.id, shortcut="thzc")
        knowledge.edit(
            session, article_id=article.id, title="退货政策", body=NEW_POLICY, author_id=None, base_version=1
        )
        assert quickreplies.get(session, reply.id).body == NEW_POLICY

    def test_seeding_from_faq_skips_intents_that_have_an_article(self, session: Session) -> None:
        assert knowledge.seed_from_faq(session) == 0


class TestKnowledgeConsole:
    def test_agent_searches_and_sees_the_match(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_article(session, title="以旧换新规则", body="旧床垫可抵扣 200 元。")
        page = client.get("/console/selfservice/knowledge?q=以旧换新", headers=auth_headers(Role.AGENT))
        assert page.status_code == 200
        assert "以旧换新规则" in page.text
        assert "找到 1 条" in page.text

    def test_agent_cannot_edit(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        article = make_article(session)
        response = client.post(
            f"/console/selfservice/knowledge/{article.id}/edit",
            data={"title": "x", "body": "y", "base_version": "1"},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 403

    def test_supervisor_edits_and_restores_on_the_page(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        article = make_article(session)
        headers = auth_headers(Role.SUPERVISOR)
        url = f"/console/selfservice/knowledge/{article.id}"
        client.post(
            f"{url}/edit",
            data={"title": article.title, "body": NEW_POLICY, "base_version": "1"},
            headers=headers,
        )
        client.post(f"{url}/restore", data={"version": "1"}, headers=headers)
        page = client.get(url, headers=headers)
        assert "当前第 3 版" in page.text
        assert "恢复自第 1 版" in page.text


class TestKnowledgeApi:
    def test_agent_searches_over_the_api(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        article = make_article(session, title="保价规则", body="降价后十五天内可申请退差价。")
        response = client.get(
            "/api/selfservice/knowledge", params={"q": "退差价"}, headers=auth_headers(Role.AGENT)
        )
        assert response.status_code == 200
        assert article.id in [row["id"] for row in response.json()]

    def test_stale_edit_is_a_409(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        article = make_article(session)
        headers = auth_headers(Role.SUPERVISOR)
        url = f"/api/selfservice/knowledge/{article.id}"
        first = client.put(
            url, json={"title": "退货政策", "body": NEW_POLICY, "base_version": 1}, headers=headers
        )
        second = client.put(
            url, json={"title": "退货政策", "body": "另一个版本", "base_version": 1}, headers=headers
        )
        assert (first.status_code, second.status_code) == (200, 409)

    def test_supervisor_restores_over_the_api(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        article = make_article(session)
        headers = auth_headers(Role.SUPERVISOR)
        url = f"/api/selfservice/knowledge/{article.id}"
        client.put(url, json={"title": "退货政策", "body": NEW_POLICY, "base_version": 1}, headers=headers)
        restored = client.post(f"{url}/restore", json={"version": 1}, headers=headers).json()
        assert restored["version"] == 3
        assert restored["title"] == "七天无理由退货政策"
