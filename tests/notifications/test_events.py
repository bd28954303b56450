"""The events registry: what a registration must say, and every registered event's wording renders in the three
languages (so an app that registers an event without its templates or translations fails here)."""

from __future__ import annotations

import pytest

from motcua.notifications.channels import BODY, HTML, SMS, SUBJECT
from motcua.notifications.events import (
    event_find,
    event_types,
    event_unregister,
    notification_event_register,
    webhook_event_register,
)
from motcua.notifications.rendering import parts_render, template_context

SAMPLE = {
    "days": 7,
    "not_after": "2026-12-31T03:00:00+00:00",
    "serial_number": "54A1",
    "certificate_name": "Nguyễn Văn A",
    "subscription_name": "Hệ thống",
    "organisation_name": "Sở Tư pháp",
    "target_url": "https://a.example.vn/",
    "event": "x.y",
    "attempts": 12,
    "last_error": "HTTP 500",
    "code": "000.00.20.H49-260302-0007",
    "procedure": "Cấp phiếu lý lịch tư pháp",
    "status": "ok",
}


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("NoDot", {}),
        ("tests.Upper", {}),
        ("tests.x", {"audience": "everyone"}),
        ("tests.x", {"template": ""}),
        ("tests.x", {"template": "/absolute/path"}),
        ("tests.x", {"channels": ()}),
        ("tests.x", {"channels": ("email", "email")}),
    ],
)
def test_a_registration_that_says_something_wrong_is_refused(key, kwargs):
    arguments = {"label": "x", "template": "tests/notifications/received", **kwargs}
    with pytest.raises(ValueError):
        notification_event_register(key, **arguments)
    assert event_find(key) is None


def test_a_webhook_only_event_does_not_replace_one_that_notifies_people():
    notification_event_register("tests.both", label="x", template="tests/notifications/received")
    try:
        assert webhook_event_register("tests.both", label="y").notifies_people
        assert event_find("tests.both").template == "tests/notifications/received"
    finally:
        event_unregister("tests.both")


def test_events_are_listed_by_key_and_audience():
    keys = [event.key for event in event_types()]
    assert keys == sorted(keys)
    assert "notifications.ping" in keys
    assert all(event.audience == "officials" for event in event_types(audience="officials"))
    assert "notifications.ping" not in [event.key for event in event_types(notifying_people=True)]


@pytest.mark.parametrize("language", ["vi", "en", "fr"])
def test_every_registered_event_renders_its_wording_in_each_language(language):
    for event in event_types(notifying_people=True):
        data = template_context(
            context=SAMPLE, recipient={"name": "Nguyễn Văn A", "language": language}, link="https://x/"
        )
        parts = parts_render(event=event, language=language, parts=[SUBJECT, BODY, HTML, SMS], data=data)
        assert parts[SUBJECT] and parts[BODY] and parts[SMS], event.key
        assert "\n" not in parts[SUBJECT]
        if language != "en":
            english = parts_render(event=event, language="en", parts=[SUBJECT], data=data)
            assert parts[SUBJECT] != english[SUBJECT], f"{event.key} is not translated into {language}"
