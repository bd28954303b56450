import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_catalogue_page_lists_procedures_with_an_accessible_search_form(client, demo_catalogue):
    html = _english(client).get(reverse("procedures:list")).content.decode()
    assert 'role="search"' in html and '<label class="field__label" for="catalogue-q">' in html
    for control in ("catalogue-organisation", "catalogue-field", "catalogue-online-level", "catalogue-level"):
        assert f'<label class="field__label" for="{control}">' in html
    assert "18 procedures found." in html
    assert reverse("procedures:detail", args=["1.001193"]) in html


@pytest.mark.parametrize("query", ["dang ky khai sinh", "Đăng ký khai sinh"])
def test_catalogue_search_with_or_without_diacritics(client, demo_catalogue, query):
    html = _english(client).get(reverse("procedures:list"), {"q": query}).content.decode()
    assert "1 procedure found." in html and "Đăng ký khai sinh" in html
    assert "Đăng ký kết hôn" not in html


def test_catalogue_filters_and_pagination_keep_the_query(client, demo_catalogue, monkeypatch):
    from motcua.procedures import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    html = _english(client).get(reverse("procedures:list"), {"field": "ho-tich", "level": "commune"}).content.decode()
    assert "4 procedures found." in html
    html = client.get(reverse("procedures:list"), {"online_level": "full"}).content.decode()
    assert 'href="?online_level=full&amp;page=2"' in html
    # Unknown filter values are ignored rather than failing.
    assert "18 procedures found." in client.get(reverse("procedures:list"), {"level": "planet"}).content.decode()


def test_procedure_page_says_in_plain_words_what_to_bring_cost_time_and_where(client, demo_catalogue):
    html = _english(client).get(reverse("procedures:detail", args=["2.000488"])).content.decode()
    assert "Cấp Phiếu lý lịch tư pháp" in html
    for heading in (
        "What to bring",
        "What it costs",
        "How long it takes",
        "Where to go",
        "Who can apply",
        "Legal bases",
    ):
        assert heading in html
    assert "200,000 đồng" in html and "10 working days" in html
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp theo mẫu" in html
    assert "the state already holds this" in html
    assert reverse("agencies:detail", args=["000.00.20.H49"]) in html
    assert reverse("agencies:detail", args=["000.00.01.H49"]) in html
    assert "Yes, entirely: you can apply, pay and receive the result online." in html
    assert "Luật Lý lịch tư pháp số 28/2009/QH12" in html


def test_procedure_page_in_vietnamese_formats_money_with_dots(client, demo_catalogue):
    client.cookies["django_language"] = "vi"
    with translation.override("vi"):
        html = client.get(reverse("procedures:detail", args=["2.000488"])).content.decode()
    assert "200.000 đồng" in html and "10 ngày làm việc" in html
    free = client.get(reverse("procedures:detail", args=["1.001193"])).content.decode()
    assert "Miễn phí" in free
    assert "4 giờ làm việc" in free


def test_apply_link_only_when_the_dossiers_app_offers_it(client, demo_catalogue):
    from django.urls import NoReverseMatch

    html = _english(client).get(reverse("procedures:detail", args=["1.001193"])).content.decode()
    try:
        apply_url = reverse("dossiers:apply", args=["1.001193"])
    except NoReverseMatch:
        assert "Apply online" not in html
    else:
        assert apply_url in html


def test_unknown_procedure_is_404(client, demo_catalogue):
    assert client.get(reverse("procedures:detail", args=["0.000000"])).status_code == 404
