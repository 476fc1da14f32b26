"""The pictures of the portfolio as SVG, drawn from a publication's store by SPARQL.

- `network(pub, lang, public, around=None)`: the dependency network, whole or around a resource;
- `timeline(pub, lang, public, focus_area=None)`: the milestones on a time axis;
- `portfolio(pub, lang, public, by="focus-area")`: initiatives per focus area or owner by outcome.

Each returns SVG text (no XML declaration, ready to inline in a page or serve as
image/svg+xml): titled and described in `lang` ("da" or "en"), every value from the data
escaped, no scripts, no event handlers, no styles but presentation attributes, and no links but
to our own resource pages under `public` + "doc/". Same publication and arguments, same bytes.
"""

from .network import network
from .portfolio import portfolio
from .timeline import timeline

__all__ = ["network", "portfolio", "timeline"]
