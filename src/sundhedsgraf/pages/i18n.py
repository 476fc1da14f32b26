"""The two languages of the pages: choosing one, the interface texts, and labels with fallback.

The page language is `?lang=da|en` if given, else the best of da and en in Accept-Language,
else Danish. A resource's label in the page language falls back in this order: the chosen
language, the other language, a label without a language tag, then the IRI's compact name
(`prefix:local`, or its last segment).
"""

import re
from datetime import date

LANGUAGES = ("da", "en")
DEFAULT = "da"


class BadLanguage(ValueError):
    """?lang= names a language the pages are not written in."""


def choose(query_lang: str | None, accept_language: str | None) -> tuple[str, bool]:
    """(language, whether the request named it in ?lang=)."""
    if query_lang is not None:
        if query_lang not in LANGUAGES:
            raise BadLanguage(
                f"lang must be one of {', '.join(LANGUAGES)}, not {query_lang[:40]!r}"
            )
        return query_lang, True
    return from_accept_language(accept_language), False


def from_accept_language(header: str | None) -> str:
    """The language of LANGUAGES that Accept-Language likes best (ties: Danish first)."""
    best, best_q = DEFAULT, 0.0
    wildcard = 0.0
    quality: dict[str, float] = {}
    for element in (header or "").split(","):
        tag, *params = (part.strip() for part in element.split(";"))
        if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*|\*", tag):
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0].lower()
        if primary == "*":
            wildcard = max(wildcard, q)
        elif primary in LANGUAGES:
            quality[primary] = max(quality.get(primary, 0.0), q)
    for lang in LANGUAGES:
        q = quality.get(lang, wildcard)
        if q > best_q:
            best, best_q = lang, q
    return best


def pick(values: dict[str, list[str]], lang: str) -> tuple[str, str] | None:
    """(text, its language tag) from {tag: [texts]} by the fallback order; None if empty."""
    other = "en" if lang == "da" else "da"
    for tag in (lang, other, ""):
        if values.get(tag):
            return sorted(values[tag])[0], tag
    for tag in sorted(values):
        if values[tag]:
            return sorted(values[tag])[0], tag
    return None


# Names of well-known terms of other vocabularies, used before the compact name.
TERM_NAMES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": ("type", "type"),
    "http://www.w3.org/2000/01/rdf-schema#label": ("betegnelse", "label"),
    "http://www.w3.org/2000/01/rdf-schema#comment": ("kommentar", "comment"),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": ("se også", "see also"),
    "http://www.w3.org/2000/01/rdf-schema#subClassOf": ("underklasse af", "subclass of"),
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf": ("underegenskab af", "subproperty of"),
    "http://www.w3.org/2000/01/rdf-schema#domain": ("domæne", "domain"),
    "http://www.w3.org/2000/01/rdf-schema#range": ("værdiområde", "range"),
    "http://www.w3.org/2000/01/rdf-schema#isDefinedBy": ("defineret af", "defined by"),
    "http://www.w3.org/2004/02/skos/core#prefLabel": ("foretrukken betegnelse", "preferred label"),
    "http://www.w3.org/2004/02/skos/core#altLabel": ("alternativ betegnelse", "alternative label"),
    "http://www.w3.org/2004/02/skos/core#notation": ("notation", "notation"),
    "http://www.w3.org/2004/02/skos/core#definition": ("definition", "definition"),
    "http://www.w3.org/2004/02/skos/core#editorialNote": ("redaktionel note", "editorial note"),
    "http://www.w3.org/2004/02/skos/core#inScheme": ("i begrebssystem", "in scheme"),
    "http://www.w3.org/2004/02/skos/core#topConceptOf": ("topbegreb i", "top concept of"),
    "http://www.w3.org/2004/02/skos/core#hasTopConcept": ("har topbegreb", "has top concept"),
    "http://www.w3.org/2004/02/skos/core#exactMatch": ("svarer præcist til", "exact match"),
    "http://www.w3.org/2004/02/skos/core#closeMatch": ("svarer nogenlunde til", "close match"),
    "http://www.w3.org/2004/02/skos/core#broadMatch": ("bredere match", "broad match"),
    "http://www.w3.org/2004/02/skos/core#narrowMatch": ("snævrere match", "narrow match"),
    "http://www.w3.org/2004/02/skos/core#relatedMatch": ("relateret match", "related match"),
    "http://purl.org/dc/terms/title": ("titel", "title"),
    "http://purl.org/dc/terms/alternative": ("alternativ titel", "alternative title"),
    "http://purl.org/dc/terms/description": ("beskrivelse", "description"),
    "http://purl.org/dc/terms/identifier": ("identifikator", "identifier"),
    "http://purl.org/dc/terms/source": ("kilde", "source"),
    "http://purl.org/dc/terms/isPartOf": ("er del af", "is part of"),
    "http://purl.org/dc/terms/hasPart": ("har del", "has part"),
    "http://purl.org/dc/terms/replaces": ("erstatter", "replaces"),
    "http://purl.org/dc/terms/issued": ("udgivet", "issued"),
    "http://purl.org/dc/terms/modified": ("ændret", "modified"),
    "http://purl.org/dc/terms/language": ("sprog", "language"),
    "http://purl.org/dc/terms/license": ("licens", "licence"),
    "http://purl.org/dc/terms/publisher": ("udgiver", "publisher"),
    "http://purl.org/dc/terms/format": ("format", "format"),
    "http://purl.org/dc/terms/conformsTo": ("følger", "conforms to"),
    "http://purl.org/dc/terms/relation": ("relation", "relation"),
    "http://purl.org/dc/terms/requires": ("kræver", "requires"),
    "http://purl.org/dc/terms/subject": ("emne", "subject"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": ("udledt af", "derived from"),
    "http://www.w3.org/ns/prov#wasAssociatedWith": ("tilknyttet", "associated with"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject": ("subjekt", "subject"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate": ("prædikat", "predicate"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#object": ("objekt", "object"),
    "http://www.w3.org/2002/07/owl#sameAs": ("samme som", "same as"),
    "http://www.w3.org/2002/07/owl#equivalentClass": ("ækvivalent klasse", "equivalent class"),
    "http://www.w3.org/2002/07/owl#equivalentProperty": (
        "ækvivalent egenskab",
        "equivalent property",
    ),
    "http://www.w3.org/2002/07/owl#deprecated": ("forældet", "deprecated"),
    "http://www.w3.org/ns/org#subOrganizationOf": ("underorganisation af", "sub-organisation of"),
    "http://www.w3.org/ns/org#identifier": ("identifikator", "identifier"),
    "http://xmlns.com/foaf/0.1/homepage": ("hjemmeside", "homepage"),
    "http://xmlns.com/foaf/0.1/page": ("side", "page"),
    "https://schema.org/url": ("webadresse", "URL"),
    "https://schema.org/alternateName": ("andet navn", "alternate name"),
    "http://www.w3.org/ns/adms#identifier": ("identifikator", "identifier"),
    "http://purl.org/dc/terms/hasVersion": ("har version", "has version"),
    "http://purl.org/dc/terms/isVersionOf": ("er version af", "is version of"),
    "http://purl.org/dc/terms/hasFormat": ("har format", "has format"),
    "http://purl.org/dc/terms/isFormatOf": ("er format af", "is format of"),
    "http://purl.org/dc/terms/isReplacedBy": ("erstattes af", "is replaced by"),
    "http://purl.org/dc/terms/isRequiredBy": ("kræves af", "is required by"),
    "http://purl.org/dc/terms/created": ("oprettet", "created"),
    "http://purl.org/dc/terms/bibliographicCitation": ("citation", "citation"),
    "http://www.w3.org/2004/02/skos/core#note": ("note", "note"),
    "http://www.w3.org/2004/02/skos/core#scopeNote": ("anvendelsesnote", "scope note"),
    "http://www.w3.org/ns/dcat#landingPage": ("landingsside", "landing page"),
    "http://www.w3.org/ns/dcat#distribution": ("distribution", "distribution"),
    "http://www.w3.org/ns/dcat#contactPoint": ("kontaktpunkt", "contact point"),
    "http://www.w3.org/ns/dcat#theme": ("tema", "theme"),
    "http://www.w3.org/ns/dcat#keyword": ("nøgleord", "keyword"),
    "http://www.w3.org/ns/dcat#version": ("version", "version"),
    "http://www.w3.org/ns/dcat#downloadURL": ("download-URL", "download URL"),
    "http://www.w3.org/ns/dcat#accessURL": ("adgangs-URL", "access URL"),
    "http://www.w3.org/ns/dcat#mediaType": ("medietype", "media type"),
    "http://www.w3.org/ns/dcat#byteSize": ("størrelse i byte", "size in bytes"),
    "http://www.w3.org/ns/adms#schemaAgency": ("udstedende organisation", "issuing agency"),
    "http://purl.org/dc/terms/spatial": ("geografisk dækning", "spatial coverage"),
    "http://purl.org/dc/terms/temporal": ("tidsmæssig dækning", "temporal coverage"),
    "http://purl.org/dc/terms/accrualPeriodicity": ("opdateringsfrekvens", "update frequency"),
    "http://purl.org/dc/terms/creator": ("ophav", "creator"),
    "http://purl.org/dc/terms/rights": ("rettigheder", "rights"),
    "http://purl.org/dc/terms/type": ("type", "type"),
    "http://purl.org/dc/terms/references": ("henviser til", "references"),
    "http://rdfs.org/ns/void#triples": ("tripler", "triples"),
    "http://rdfs.org/ns/void#entities": ("entiteter", "entities"),
    "http://rdfs.org/ns/void#sparqlEndpoint": ("SPARQL-endepunkt", "SPARQL endpoint"),
    "http://rdfs.org/ns/void#dataDump": ("datadump", "data dump"),
    "http://rdfs.org/ns/void#vocabulary": ("vokabular", "vocabulary"),
}

MONTHS = {
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "en": "January February March April May June July August September October November December",
}
# How a date of each precision (the concept's last segment) is written; {d} day, {m} month name,
# {y} year, {q} quarter, {h} half, {y2} the last year of a period.
DATE_FORMS = {
    "day": ("{d}. {m} {y}", "{d} {m} {y}"),
    "month": ("{m} {y}", "{m} {y}"),
    "quarter": ("{q}. kvartal {y}", "Q{q} {y}"),
    "half-year": ("{h}. halvår {y}", "H{h} {y}"),
    "year": ("{y}", "{y}"),
    "early-month": ("primo {m} {y}", "early {m} {y}"),
    "early-year": ("primo {y}", "early {y}"),
    "mid-year": ("medio {y}", "mid-{y}"),
    "end-of-year": ("ultimo {y}", "late {y}"),
    "period": ("{y}–{y2}", "{y}–{y2}"),
}


def format_date(start: str, lang: str, precision: str | None = None, end: str | None = None) -> str:
    """An ISO date (and the end of its period) written as the page's language writes it, as
    precise as `precision` (a date-precision slug) says."""
    try:
        first = date.fromisoformat(start[:10])
        last = date.fromisoformat((end or start)[:10])
    except ValueError:
        return start
    if precision not in DATE_FORMS:
        precision = "day" if first == last else None
    if precision is None:
        return format_date(start, lang, "day") + " – " + format_date(end or start, lang, "day")
    month = MONTHS[lang].split()[first.month - 1]
    form = DATE_FORMS[precision][LANGUAGES.index(lang)]
    return form.format(
        d=first.day,
        m=month,
        y=first.year,
        q=(first.month - 1) // 3 + 1,
        h=1 if first.month <= 6 else 2,
        y2=last.year,
    )


def format_period(value: str, lang: str) -> str:
    """A year (2024), a month (2024-06) or a day as the language writes it."""
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return format_date(value + "-01", lang, "month")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value):
        return format_date(value, lang, "day")
    return value


def format_number(text: str, lang: str) -> str:
    """A number as the language writes it: 6.000.000 and 2,5 in Danish, 6,000,000 and 2.5 in
    English; text that is not a number is returned as it is."""
    try:
        value = float(text)
    except ValueError:
        return text
    whole, _, fraction = text.strip().lstrip("+").partition(".")
    if not whole.lstrip("-").isdigit() or (fraction and not fraction.isdigit()):
        return text
    grouped = f"{int(whole):,}"
    if lang == "da":
        grouped = grouped.replace(",", ".")
    point = "," if lang == "da" else "."
    return grouped + (point + fraction if fraction and value != int(value) else "")


def format_bytes(n: int, lang: str) -> str:
    """A size in kB or MB (1000s), with the language's decimal comma or point."""
    for unit, size in (("MB", 1_000_000), ("kB", 1_000)):
        if n >= size:
            return format_number(f"{n / size:.1f}", lang) + " " + unit
    return format_number(str(n), lang) + " B"


# Texts with a count: key -> ((Danish singular, plural), (English singular, plural)).
PLURALS = {
    "results": (("{n} resultat", "{n} resultater"), ("{n} result", "{n} results")),
    "links": (("{n} link i alt", "{n} links i alt"), ("{n} link in all", "{n} links in all")),
    "rows": (("{n} række", "{n} rækker"), ("{n} row", "{n} rows")),
    "initiatives": (("{n} indsats", "{n} indsatser"), ("{n} initiative", "{n} initiatives")),
    "resources": (("{n} ressource", "{n} ressourcer"), ("{n} resource", "{n} resources")),
    "triples": (("{n} tripel", "{n} tripler"), ("{n} triple", "{n} triples")),
    "used_in": (
        ("Brugt i {n} tripel", "Brugt i {n} tripler"),
        ("Used in {n} triple", "Used in {n} triples"),
    ),
}


def plural(n: int, key: str, lang: str) -> str:
    """ "1 resultat", "2 resultater": the count with the singular or plural text of `key`."""
    one, many = PLURALS[key][LANGUAGES.index(lang)]
    return (one if n == 1 else many).format(n=format_number(str(n), lang))


# Every text of the interface, in both languages.
UI = {
    "site": ("Sundhedsgraf", "Sundhedsgraf"),
    "tagline": (
        "Strategi for digital sundhed 2018-2024 som åbne, linkede data",
        "The Danish Strategy for Digital Health 2018-2024 as linked open data",
    ),
    "skip": ("Gå til indhold", "Skip to content"),
    "nav": ("Hovedmenu", "Main menu"),
    "home": ("Forside", "Home"),
    "browse": ("Gennemse", "Browse"),
    "search": ("Søg", "Search"),
    "query": ("SPARQL-forespørgsel", "SPARQL query"),
    "ontology": ("Ontologi", "Ontology"),
    "pictures": ("Billeder", "Pictures"),
    "downloads": ("Download", "Downloads"),
    "language": ("Sprog", "Language"),
    "in_danish": ("Dansk", "Dansk"),
    "in_english": ("English", "English"),
    "about_title": ("Hvad er det her?", "What is this?"),
    "about_text": (
        "Sundhedsgraf beskriver porteføljen i den nationale Strategi for digital sundhed "
        "2018-2024 som linkede data: de fem indsatsområder, de 27 indsatser, deres ejere og "
        "udfald, de systemer og standarder de involverer, milepæle og de tal, som kilden "
        "rapporterer. Hver ting har sin egen IRI, der kan slås op som HTML eller RDF.",
        "Sundhedsgraf describes the portfolio of the Danish national Strategy for Digital "
        "Health 2018-2024 as linked data: the five focus areas, the 27 initiatives, their owners "
        "and outcomes, the systems and standards they involve, milestones, and the figures the "
        "source reports. Every thing has its own IRI, which can be looked up as HTML or RDF.",
    ),
    "source_title": ("Kilden", "The source"),
    "source_text": (
        "Alle fakta er læst fra kildedokumentet nedenfor; hver fakta peger tilbage på den "
        "indsats, den er læst fra. Beskrivelser og opsummeringer er vores egne ord.",
        "Every fact is read from the source document below; each fact points back to the "
        "initiative it was read from. Descriptions and summaries are in our own words.",
    ),
    "issued": ("Udgivet", "Issued"),
    "counts": ("I tal", "In numbers"),
    "initiatives": ("Indsatser", "Initiatives"),
    "systems": ("Systemer", "Systems"),
    "standards": ("Standarder", "Standards"),
    "organisations": ("Organisationer", "Organisations"),
    "focus_areas": ("Indsatsområder", "Focus areas"),
    "projects": ("Projekter og programmer", "Projects and programmes"),
    "milestones": ("Milepæle", "Milestones"),
    "figures": ("Tal", "Reported figures"),
    "relations": ("Relationer", "Stated relations"),
    "concepts": ("Begreber", "Concepts"),
    "everything": ("Alle ressourcer", "All resources"),
    "milestones_achieved": ("Milepæle nået", "Milestones achieved"),
    "milestones_planned": ("Milepæle planlagt", "Milestones planned"),
    "milestones_revised": ("Milepæle revideret", "Milestones revised"),
    "triples": ("Tripler", "Triples"),
    "portfolio_title": ("Porteføljen", "The portfolio"),
    "status_at_glance": (
        "Udfald ved strategiens afslutning",
        "Outcome at the close of the strategy",
    ),
    "find_out_more": ("Videre herfra", "Where to go from here"),
    "browse_text": ("lister over alle slags ressourcer", "lists of every kind of resource"),
    "search_text": (
        "på navne, forkortelser og beskrivelser, på dansk og engelsk",
        "in names, abbreviations and descriptions, in Danish and English",
    ),
    "query_text": (
        "stil dine egne spørgsmål, eller prøv eksemplerne",
        "ask your own questions, or try the examples",
    ),
    "ontology_text": (
        "klasser og egenskaber i datamodellen",
        "classes and properties of the model",
    ),
    "pictures_text": (
        "afhængigheder, tidslinje og porteføljen som diagrammer",
        "dependencies, timeline and the portfolio as charts",
    ),
    "downloads_text": (
        "hele grafen i flere RDF-formater, og færdige tabeller (CSV)",
        "the whole graph in several RDF formats, and ready-made tables (CSV)",
    ),
    "sparql_endpoint": ("SPARQL-endepunkt", "SPARQL endpoint"),
    "json_index": ("maskinlæsbart indeks (JSON)", "machine-readable index (JSON)"),
    "file": ("Fil", "File"),
    "format": ("Format", "Format"),
    "type": ("Type", "Type"),
    "types": ("Typer", "Types"),
    "label": ("Betegnelse", "Label"),
    "property": ("Egenskab", "Property"),
    "value": ("Værdi", "Value"),
    "values": ("Værdier", "Values"),
    "properties": ("Egenskaber", "Properties"),
    "inbound": ("Det, der peger hertil", "What links here"),
    "inbound_count": ("{n} links i alt", "{n} links in all"),
    "no_inbound": ("Intet peger hertil.", "Nothing links here."),
    "page_of": ("Side {page} af {pages}", "Page {page} of {pages}"),
    "previous": ("Forrige", "Previous"),
    "next": ("Næste", "Next"),
    "timeline": ("Tidslinje", "Timeline"),
    "achieved": ("nået", "achieved"),
    "planned": ("planlagt", "planned"),
    "revised": ("revideret", "revised"),
    "provenance": ("Proveniens", "Provenance"),
    "read_from": ("Læst fra", "Read from"),
    "mentioned_in": ("Nævnt i", "Mentioned in"),
    "source_document": ("Kildedokument", "Source document"),
    "as_data": ("Som data", "As data"),
    "iri": ("IRI", "IRI"),
    "neighbourhood": ("Nærmeste naboer", "Neighbourhood"),
    "picture_missing": ("Billedet kunne ikke tegnes.", "The picture could not be drawn."),
    "summary": ("Opsummering", "Summary"),
    "outcome": ("Udfald", "Outcome"),
    "first_milestone": ("Første milepæl", "First milestone"),
    "last_milestone": ("Sidste milepæl", "Last milestone"),
    "next_planned": ("Næste planlagte", "Next planned"),
    "operator": ("Driftsansvarlig", "Operator"),
    "publisher": ("Udgiver", "Publisher"),
    "replacement": ("Erstatning", "Replacement"),
    "depended_on_by": ("Afhængige", "Depended on by"),
    "involved_in": ("Indsatser, der involverer den", "Initiatives involving it"),
    "owns": ("Ejer indsatserne", "Owns the initiatives"),
    "runs": ("Driver", "Runs"),
    "part_of": ("Del af", "Part of"),
    "what_it_counts": ("Hvad tallet tæller", "What it counts"),
    "dataset_title": ("Datasættet", "The dataset"),
    "licence": ("Licens", "Licence"),
    "licence_text": (
        "Du må bruge, dele og bearbejde data, også kommercielt, når du krediterer kilden.",
        "You may use, share and adapt the data, also commercially, if you credit the source.",
    ),
    "contact": ("Kontakt", "Contact"),
    "version": ("Version", "Version"),
    "modified": ("Ændret", "Modified"),
    "in_numbers": ("Hvad datasættet rummer", "What the dataset holds"),
    "counts_note": (
        "Tallene gælder data og ontologi, som i hver af filerne nedenfor; beskrivelsen af "
        "datasættet selv (denne side som RDF) tælles ikke med.",
        "The numbers count the data and the ontology, as in each of the files below; the "
        "description of the dataset itself (this page as RDF) is not counted.",
    ),
    "count_triples": ("tripler (udsagn)", "triples (statements)"),
    "count_entities": ("ressourcer med egen IRI", "resources with an IRI of their own"),
    "count_classes": ("klasser", "classes"),
    "count_properties": ("egenskaber", "properties"),
    "distributions": ("Filer at hente", "Files to download"),
    "linked_title": ("Linkede datasæt", "Linked datasets"),
    "linked_intro": (
        "Datasæt udefra, indlæst ved siden af dette, hver som sin egen navngivne graf i samme "
        "SPARQL-endpoint. Deres tripler tælles ikke med i tallene ovenfor.",
        "Outside datasets loaded beside this one, each as a named graph of its own in the same "
        "SPARQL endpoint. Their triples are not counted in the numbers above.",
    ),
    "graph": ("Graf", "Graph"),
    "loaded": ("Indlæst", "Loaded"),
    "source": ("Kilde", "Source"),
    "size": ("Størrelse", "Size"),
    "how_to_cite": ("Sådan citerer du", "How to cite"),
    "derived_from": ("Udledt af", "Derived from"),
    "machine_readable": ("For programmer", "For programs"),
    "reported_in": ("som opgjort i kilden ({year})", "as reported in the source ({year})"),
    "relations_title": ("Relationer", "Relations"),
    "relations_intro": (
        "Det kilden siger om forholdet til andre, læst fra denne ende.",
        "What the source says about its relations to others, read from this end.",
    ),
    "impact_title": ("Hvad afhænger af dette?", "What depends on this?"),
    "impact_intro": (
        "Det, der afhænger af dette direkte eller gennem andre, og hvordan. Kæderne følger "
        "afhængighedsrelationerne i ontologien.",
        "What depends on this, directly or through others, and how. The chains follow the "
        "ontology's dependency-like relations.",
    ),
    "reach_title": ("Hvad berører indsatsen?", "What does this initiative touch?"),
    "reach_intro": (
        "Det, indsatsen involverer, og det, som det igen afhænger af.",
        "What the initiative involves, and what that in turn depends on.",
    ),
    "affected_initiatives": ("Berørte indsatser", "Initiatives affected"),
    "directly": ("direkte", "directly"),
    "through": ("gennem", "through"),
    "show_all_chains": ("Vis alle {n} kæder", "Show all {n} chains"),
    "and_more": ("og {n} flere", "and {n} more"),
    "as_csv": ("Hent som CSV", "Download as CSV"),
    "in_other_language": ("Læs siden på engelsk", "Read this page in Danish"),
    "description": ("Beskrivelse", "Description"),
    "status_summary": ("Afsluttende status", "Final status"),
    "status_reason": ("Årsag", "Reason"),
    "definition": ("Definition", "Definition"),
    "filter": ("Filtrér", "Filter"),
    "all": ("alle", "all"),
    "show": ("Vis", "Show"),
    "clear_filters": ("Nulstil", "Clear"),
    "nothing_found": ("Intet fundet.", "Nothing found."),
    "focus_area": ("Indsatsområde", "Focus area"),
    "owner": ("Ejer", "Owner"),
    "status": ("Status", "Status"),
    "kind": ("Slags", "Kind"),
    "initiative": ("Indsats", "Initiative"),
    "when": ("Hvornår", "When"),
    "abbreviation": ("Forkortelse", "Abbreviation"),
    "scheme": ("Begrebssystem", "Scheme"),
    "realisation": ("Realisering", "Realisation"),
    "unit": ("Enhed", "Unit"),
    "number": ("Nr.", "No."),
    "date": ("Dato", "Date"),
    "amount": ("Tal", "Amount"),
    "resource": ("Ressource", "Resource"),
    "snippet": ("Uddrag", "Excerpt"),
    "csv_for_excel": ("CSV til Excel", "CSV for Excel"),
    "media_type": ("Medietype", "Media type"),
    "use": ("Brug data", "Use this data"),
    "use_text": (
        "filer, tabeller, endepunkt, licens og eksempler til pandas, R, Excel og curl",
        "files, tables, the endpoint, the licence, and examples for pandas, R, Excel and curl",
    ),
    "use_intro": (
        "Alt her er åbne data: hent hele grafen, færdige tabeller eller præcis det, du har "
        "brug for, fra SPARQL-endepunktet.",
        "Everything here is open data: take the whole graph, ready-made tables, or exactly "
        "what you need from the SPARQL endpoint.",
    ),
    "use_dumps": ("Hele grafen", "The whole graph"),
    "use_dumps_text": (
        "Data og ontologi i hvert RDF-format; TriG og N-Quads holder dem som navngivne grafer.",
        "The data and the ontology in each RDF format; TriG and N-Quads keep them as named graphs.",
    ),
    "use_tables": ("Tabeller", "Tables"),
    "use_tables_text": (
        "De vigtigste klasser som CSV (UTF-8, komma), én række pr. ressource. Kolonnerne er "
        "IRI'er og værdier; flere værdier får nummererede kolonner (owner_1, owner_2).",
        "The main classes as CSV (UTF-8, commas), one row per resource. The columns are IRIs "
        "and values; several values get numbered columns (owner_1, owner_2).",
    ),
    "use_metadata": (
        "CSV on the Web-metadata (W3C CSVW): hver kolonnes egenskab og datatype, så tabellerne "
        "også er linkede data",
        "CSV on the Web metadata (W3C CSVW): each column's property and datatype, so the tables "
        "are linked data too",
    ),
    "use_lists_text": (
        "Hver liste og hver søgning kan også hentes, som den vises (CSV, CSV til Excel, TSV, "
        "JSON, XLSX), med filtre og sortering:",
        "Every list and every search can also be downloaded as shown (CSV, CSV for Excel, TSV, "
        "JSON, XLSX), with its filters and sort:",
    ),
    "use_endpoint_text": (
        "SPARQL 1.1 med GET eller POST; svar som JSON, XML, CSV, TSV eller XLSX (format=xlsx), "
        "grafer som Turtle, JSON-LD og de andre RDF-formater.",
        "SPARQL 1.1 by GET or POST; answers as JSON, XML, CSV, TSV or XLSX (format=xlsx), "
        "graphs as Turtle, JSON-LD and the other RDF formats.",
    ),
    "use_try_query": ("Prøv forespørgslen", "Try the query"),
    "use_licence": ("Licens", "Licence"),
    "use_licence_text": (
        "Data, tabeller og filer må bruges, deles og bearbejdes, også kommercielt, når kilden "
        "angives:",
        "The data, tables and files may be used, shared and adapted, also commercially, with "
        "attribution:",
    ),
    "use_cite": ("Sådan citerer du", "How to cite"),
    "use_cite_text": (
        "Citér den version, du har brugt; en enkelt oplysning citeres med IRI'en på den "
        "ressource, der har den.",
        "Cite the version you used; cite one fact by the IRI of the resource that holds it.",
    ),
    "use_examples": ("Eksempler", "Examples"),
    "use_excel_text": (
        "Data → Fra internettet, og indsæt adressen på en liste som XLSX (eller CSV til Excel):",
        "Data → From Web, and paste the address of a list as XLSX (or the CSV for Excel):",
    ),
    "use_power_bi_text": (
        "Hent data → Web med adressen på en tabel, eller som en forespørgsel i Power Query (M):",
        "Get data → Web with the address of a table, or as a Power Query (M) query:",
    ),
    "use_curl_text": (
        "-OJ gemmer under det filnavn, serveren giver; question.rq indeholder forespørgslen.",
        "-OJ saves under the file name the server gives; question.rq holds the query.",
    ),
    "sorted_ascending": ("sorteret stigende", "sorted ascending"),
    "sorted_descending": ("sorteret faldende", "sorted descending"),
    "search_label": ("Søg efter", "Search for"),
    "search_placeholder": ("Søg, fx SOR", "Search, e.g. SOR"),
    "not_found_search": (
        "Siden findes ikke. Søg efter det, du ledte efter:",
        "There is no such page. Search for what you were looking for:",
    ),
    "search_hint": (
        "Søg i navne, forkortelser og beskrivelser på begge sprog, fx FMK eller medicinkort.",
        "Search names, abbreviations and descriptions in both languages, e.g. FMK or medicinkort.",
    ),
    "search_results_for": ("Resultater for", "Results for"),
    "kind_initiative": ("Indsatser", "Initiatives"),
    "kind_system": ("Systemer", "Systems"),
    "kind_standard": ("Standarder", "Standards"),
    "kind_organisation": ("Organisationer", "Organisations"),
    "kind_project": ("Projekter og programmer", "Projects and programmes"),
    "kind_focus-area": ("Indsatsområder", "Focus areas"),
    "kind_milestone": ("Milepæle", "Milestones"),
    "kind_figure": ("Tal", "Figures"),
    "kind_relation": ("Relationer", "Relations"),
    "kind_concept": ("Begreber", "Concepts"),
    "kind_other": ("Andet", "Other"),
    "query_intro": (
        "Skriv en SPARQL 1.1-forespørgsel (SELECT, ASK, CONSTRUCT eller DESCRIBE). Den kører på "
        "samme endepunkt som /sparql, med samme tidsgrænse og grænser.",
        "Write a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE). It runs on the same "
        "endpoint as /sparql, with the same time limit and limits.",
    ),
    "run": ("Kør", "Run"),
    "examples": ("Eksempler", "Examples"),
    "results": ("Resultat", "Results"),
    "download_as": ("Hent som", "Download as"),
    "ask_true": ("Svaret er ja (true).", "The answer is yes (true)."),
    "ask_false": ("Svaret er nej (false).", "The answer is no (false)."),
    "query_error": ("Forespørgslen kunne ikke besvares", "The query could not be answered"),
    "classes": ("Klasser", "Classes"),
    "object_properties": ("Egenskaber", "Properties"),
    "alignments": ("Justeringer", "Alignments"),
    "subclass_of": ("Underklasse af", "Subclass of"),
    "subproperty_of": ("Underegenskab af", "Subproperty of"),
    "domain": ("Domæne", "Domain"),
    "range": ("Værdiområde", "Range"),
    "instances": ("Forekomster", "Instances"),
    "see_list": ("se listen", "see the list"),
    "ontology_as_rdf": ("Ontologien som RDF", "The ontology as RDF"),
    "network": ("Afhængighedsnetværk", "Dependency network"),
    "network_text": (
        "Systemer, standarder og indsatser og de relationer, kilden udsiger mellem dem.",
        "Systems, standards and initiatives and the relations the source states between them.",
    ),
    "timeline_text": ("Milepælene over tid.", "The milestones over time."),
    "portfolio_by_focus_area": ("Porteføljen efter indsatsområde", "The portfolio by focus area"),
    "portfolio_by_owner": ("Porteføljen efter ejer", "The portfolio by owner"),
    "as_svg": ("som SVG", "as SVG"),
    "network_as_list": (
        "Relationerne, som kilden udsiger dem, én pr. linje:",
        "The relations as the source states them, one a line:",
    ),
    "network_see_paths": (
        "Netværket som stier: se hvad der afhænger af dette",
        "The network as paths: see what depends on this",
    ),
    "network_see_relations": (
        "Netværket som liste: se relationerne",
        "The network as a list: see the relations",
    ),
    "filter_above": (
        "Indsatsområdet vælges i formularen ovenfor.",
        "The focus area is chosen in the form above.",
    ),
    "error": ("Fejl", "Error"),
    "back_home": ("Til forsiden", "Back to the home page"),
    "footer": (
        "Kilde: Strategi for digital sundhed 2018-2024 – afsluttende status.",
        "Source: Strategi for digital sundhed 2018-2024 – afsluttende status.",
    ),
    "footer_data": ("Data", "Data"),
    "about_dataset": ("Om datasættet", "About the dataset"),
    "cite_this": ("Citér dette", "Cite this"),
    "read_in": ("Læst i", "Read in"),
    "table_page": ("side {page} i indsatstabellen", "page {page} of the initiative table"),
    "accessibility": ("Tilgængelighedserklæring", "Accessibility statement"),
    "deprecated": ("forældet", "deprecated"),
    "blank_node": ("(unavngiven node)", "(blank node)"),
    "more_values": ("… og {n} mere", "… and {n} more"),
    "language_tag": ("sprog", "language"),
    "datatype": ("datatype", "datatype"),
    "external": ("ekstern", "external"),
}


def texts(lang: str) -> dict[str, str]:
    """The interface texts in `lang`."""
    index = LANGUAGES.index(lang)
    return {key: pair[index] for key, pair in UI.items()}
