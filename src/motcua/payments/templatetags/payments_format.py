from django import template

register = template.Library()


@register.filter
def dong(amount: object) -> str:
    """Integer đồng with dots between thousands: ``1.250.000 đồng``."""
    if amount is None or amount == "":
        return ""
    try:
        value = int(str(amount))
    except ValueError:
        return str(amount)
    return f"{value:,}".replace(",", ".") + " đồng"
