"""Reading an admin change page the way a browser submits it, for tests that post it back."""

from html.parser import HTMLParser

from django.urls import reverse


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


class _FormReader(HTMLParser):
    """The values a browser would send for the admin's change form (#..._form)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("id") or "").endswith("_form") and a.get("method") == "post":
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            # Rows of the inline "add another" template are not sent.
            if "__prefix__" not in name:
                self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.data[self.textarea] = [self.text.removeprefix("\n")]
            self.textarea = None


def page_form(client, url: str) -> dict[str, list[str] | str]:
    """What posting the change page at `url` unchanged would send."""
    response = client.get(url)
    assert response.status_code == 200
    reader = _FormReader()
    reader.feed(response.content.decode())
    return {
        name: values
        for name, values in reader.data.items()
        if "__prefix__" not in name and values != []
    }


def page_errors(response) -> str:
    """The page, to look for an error message in it."""
    return response.content.decode()
