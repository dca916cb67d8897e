"""Settings: sharing the booking site (/office/settings/sharing/).

The links and embed snippets of the company's booking page and of each page narrowed
to one location, staff member, resource or service (the booking site's scoped pages,
listed only where that page answers: an active, online-bookable staff member or
resource, an active service), a QR code of each, and a live preview: the embed
itself, framed by this page (public.security lets this site frame its embeds unless
the company switched embedding off). Admins only, as every settings page. The old
public share page redirects here.
"""

from dataclasses import dataclass

import qrcode
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from qrcode.image.svg import SvgPathFillImage

from rendezvous.companies.access import Actor
from rendezvous.companies.models import Company
from rendezvous.companies.validators import frame_ancestor_sources

from .business import settings_view


@dataclass(frozen=True)
class SharedPage:
    key: str  # "" for the company's page, else "<kind>-<id>"
    kind: str
    label: str
    path: str  # the booking page, in the current language
    embed_path: str  # its embeddable twin

    @property
    def url(self) -> str:
        return settings.BASE_URL + self.path

    @property
    def embed_url(self) -> str:
        return settings.BASE_URL + self.embed_path


def _page(company: Company, kind: str, label: str, row_id: int | None) -> SharedPage:
    kwargs = {"company": company.slug}
    if row_id is None:
        names = ("public:page", "public:embed")
    else:
        kwargs |= {"scope_kind": kind, "scope_id": str(row_id)}
        names = ("public:page_scoped", "public:embed_scoped")
    return SharedPage(
        key=f"{kind}-{row_id}" if row_id is not None else "",
        kind=kind,
        label=label,
        path=reverse(names[0], kwargs=kwargs),
        embed_path=reverse(names[1], kwargs=kwargs),
    )


def shared_pages(company: Company) -> list[SharedPage]:
    """The company's page first, then its scoped pages by kind and name."""
    pages = [_page(company, "company", company.name, None)]
    for kind, rows in (
        ("location", company.locations.all()),
        ("staff", company.staff.filter(active=True, online_bookable=True)),
        ("resource", company.resources.filter(active=True, online_bookable=True)),
        ("service", company.services.filter(active=True).select_related("company")),
    ):
        labelled = [(getattr(row, "local_name", row.name), row.pk) for row in rows]
        pages += [_page(company, kind, label, pk) for label, pk in sorted(labelled)]
    return pages


def _kind_labels() -> dict[str, str]:
    return {
        "company": _("All services"),
        "location": _("Location"),
        "staff": _("Staff member"),
        "resource": _("Resource"),
        "service": _("Service"),
    }


def _chosen(pages: list[SharedPage], key: str) -> SharedPage:
    page = next((p for p in pages if p.key == key), None)
    if page is None:
        raise Http404()
    return page


@settings_view
def sharing(request, actor: Actor):
    company = actor.company
    pages = shared_pages(company)
    preview = _chosen(pages, request.GET.get("preview", ""))
    sources = frame_ancestor_sources(company.frame_ancestors)
    labels = _kind_labels()
    return render(
        request,
        "dashboard/settings/sharing.html",
        {
            "company": company,
            "pages": [{"page": p, "kind_label": labels[p.kind]} for p in pages],
            "preview": preview,
            "embedding_off": sources == ["'none'"],
            "embed_sites": " ".join(sources),
            "script_url": settings.BASE_URL + settings.STATIC_URL + "public/embed.js",
            "settings_tab": "sharing",
            "page": "settings",
        },
    )


def qr_svg(url: str) -> bytes:
    """A QR code of `url` as SVG: fill attributes only (no style), so the strict CSP
    has nothing to block, with the white margin scanners need."""
    image = qrcode.make(url, image_factory=SvgPathFillImage, border=4)
    return image.to_string(encoding="utf-8")


@settings_view
def sharing_qr(request, actor: Actor):
    page = _chosen(shared_pages(actor.company), request.GET.get("page", ""))
    response = HttpResponse(qr_svg(page.url), content_type="image/svg+xml")
    if request.GET.get("download"):
        name = f"{actor.company.slug}-{page.key or 'booking'}-qr.svg"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns: list = [
    path("", sharing, name="settings_sharing"),
    path("qr.svg", sharing_qr, name="settings_sharing_qr"),
]
