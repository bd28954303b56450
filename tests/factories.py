"""Shared factories. Valid identifiers by construction (personal ids and tax codes pass their checks)."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Position, Role, Unit
from motcua.agencies.search import search_fold
from motcua.core.codes import tax_code_check_digit

_sequence = itertools.count(1)


def personal_id(n: int | None = None) -> str:
    """A valid 12-digit personal identification number (Hà Nội, male, born 1990)."""
    number = n if n is not None else next(_sequence)
    return f"001090{number:06d}"


def tax_code(n: int | None = None) -> str:
    number = n if n is not None else next(_sequence)
    for base in range(number * 7, number * 7 + 50):
        first_nine = f"01{base:07d}"
        check = tax_code_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"
    raise AssertionError("no valid tax code found")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    kind = User.Kind.CITIZEN
    personal_id = factory.LazyFunction(personal_id)
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.vn")
    password = factory.django.Password("Mat-khau-an-toan-2026")


class OfficialFactory(UserFactory):
    kind = User.Kind.OFFICIAL
    personal_id = ""


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    # H70–H99: no real province has these codes, so factory rows never collide with the demo directory
    # (H14, H29, H41, H49...) that many tests load beside them.
    code = factory.Sequence(
        lambda n: f"000.00.00.H{n + 70}" if n < 30 else f"000.00.{(n - 30) // 30 % 90 + 10:02d}.H{n % 30 + 70}"
    )
    name = factory.Sequence(lambda n: f"Ủy ban nhân dân tỉnh {n}")
    short_name = factory.Sequence(lambda n: f"UBND tỉnh {n}")
    abbreviation = "UBND"
    kind = Organisation.Kind.PROVINCE

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):
        parent = obj.parent
        obj.path = f"{parent.path}{parent.pk}/" if parent else "/"
        obj.depth = (parent.depth + 1) if parent else 0
        obj.search_key = search_fold(" ".join([obj.name, obj.short_name, obj.abbreviation, obj.code or ""]))
        if create:
            obj.save(update_fields=["path", "depth", "search_key"])


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.Sequence(lambda n: f"Phòng {n}")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    user = factory.SubFactory(OfficialFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.SPECIALIST
    valid_from = factory.LazyFunction(lambda: dt.date(2020, 1, 1))
