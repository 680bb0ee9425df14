from pydantic import BaseModel, ConfigDict, Field

from aftersales.auth.models import Role


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role
    password: str = Field(min_length=8, max_length=128)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool

    @property
    def role_label(self) -> str:
        return self.role.label


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    user: UserRead
