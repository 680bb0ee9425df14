"""One error base for the whole application; domains subclass it next to their code."""


class AftersalesError(Exception):
    """A domain error with the HTTP status it maps to. Never use it for bugs."""

    status_code: int = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(AftersalesError):
    status_code = 404


class ConflictError(AftersalesError):
    status_code = 409


class NotAuthenticatedError(AftersalesError):
    status_code = 401


class PermissionDeniedError(AftersalesError):
    status_code = 403


class InvalidInputError(AftersalesError):
    """Input that passed the schema but breaks a rule; names the field like a 422."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
