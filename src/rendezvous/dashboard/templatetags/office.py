from django import template

register = template.Library()


@register.filter
def named(row) -> str:
    """A service's or category's name in the page's language (catalog's text_in)."""
    return row.text_in("name") if row is not None else ""
