"""factory_boy factories for identity's tests."""

from __future__ import annotations

import factory

from identity.accounts.models import Role, User

PASSWORD = "correct-Horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    roles = factory.LazyFunction(lambda: [Role.CUSTOMER.value])
    is_active = True
    email_verified = True

    @factory.post_generation
    def password(user: User, create: bool, extracted: str | None, **kwargs) -> None:
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])


class StaffFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.STAFF.value])


class AdminFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.ADMIN.value])
