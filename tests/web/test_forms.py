"""``act_or_rerender``: a refused action leaves nothing behind and its form is shown again."""

import pytest
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import ConflictError, InvalidInputError
from aftersales.web.forms import act_or_rerender
from tests.builders import make_shop


def refused_after_writing(session: Session) -> Shop:
    make_shop(session, code="written-before-refusal")
    raise InvalidInputError("amount", "超出权限")


def rerender(error: InvalidInputError) -> Response:
    return PlainTextResponse(error.message, status_code=422)


def shop_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Shop.code).where(Shop.code.like("written-%"))))


class TestActOrRerender:
    def test_refused_action_is_rolled_back_and_its_form_rendered_again(self, session: Session) -> None:
        response = act_or_rerender(
            session,
            lambda: refused_after_writing(session),
            failed=InvalidInputError,
            rerender=rerender,
            done=lambda _: PlainTextResponse("done"),
        )
        assert (response.status_code, response.body.decode(), shop_codes(session)) == (
            422,
            "amount: 超出权限",
            set(),
        )

    def test_accepted_action_is_kept_and_done_gets_its_result(self, session: Session) -> None:
        response = act_or_rerender(
            session,
            lambda: make_shop(session, code="written-ok"),
            failed=InvalidInputError,
            rerender=rerender,
            done=lambda shop: PlainTextResponse(shop.code),
        )
        assert (response.body.decode(), shop_codes(session)) == ("written-ok", {"written-ok"})

    def test_an_error_the_form_does_not_name_is_not_caught(self, session: Session) -> None:
        def conflict() -> None:
            raise ConflictError("已存在")

        with pytest.raises(ConflictError):
            act_or_rerender(
                session, conflict, failed=InvalidInputError, rerender=rerender, done=lambda _: Response()
            )
