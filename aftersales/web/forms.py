"""A console form whose action failed is shown again, with the reason, in the same request.

The action's rule refused it (over the agent's authority, an unknown template variable, a bad
credential): its writes so far are rolled back here, before the page is rendered again, so the
unit of work that commits at the end of the request commits nothing of it. Bugs are not caught:
only the error types the caller names re-render the form.
"""

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.kit.errors import AftersalesError

T = TypeVar("T")
E = TypeVar("E", bound=AftersalesError)


def act_or_rerender(
    session: Session,
    action: Callable[[], T],
    *,
    failed: type[E],
    rerender: Callable[[E], Response],
    done: Callable[[T], Response],
) -> Response:
    """``done(action())``; when the action raises ``failed``, its writes are rolled back and
    ``rerender(error)`` renders the form again."""
    try:
        result = action()
    except failed as error:
        session.rollback()
        return rerender(error)
    return done(result)
