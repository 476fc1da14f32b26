"""The accessibility statement (/accessibility), in Danish and English, as Danish public
websites carry one: the standard the pages aim at, how they are checked, what is known not to
work, and whom to write to (the dataset's contact point)."""

from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.pages.dataset import DCAT, contact, named
from sundhedsgraf.pages.page import Page, cached
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings


def accessibility_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        dataset = pub.base + "id/dataset"
        contacts = [
            contact(pub.store, o.value) for o in named(pub.store, dataset, DCAT + "contactPoint")
        ]
        return page.render(
            "accessibility.html", contacts=contacts, built=pub.manifest["built"][:10]
        )

    return cached(page, make)
