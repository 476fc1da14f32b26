"""The published JSON-LD @context: the prefixes, and short terms for the common properties."""

from sundhedsgraf.namespaces import prefixes

# Texts we always give in Danish and English: compacted to {"da": ..., "en": ...}.
LANGUAGE_MAPS = {
    "label": "rdfs:label",
    "prefLabel": "skos:prefLabel",
    "altLabel": "skos:altLabel",
    "title": "dcterms:title",
    "description": "dcterms:description",
    "definition": "skos:definition",
    "editorialNote": "skos:editorialNote",
    "statusSummary": "sg:statusSummary",
    "statusReason": "sg:statusReason",
    "counts": "sg:counts",
}

# Properties whose values are resources: compacted to plain (prefixed) IRI strings.
LINKS = {
    "focusArea": "sg:focusArea",
    "owner": "sg:owner",
    "outcomeStatus": "sg:outcomeStatus",
    "projectStatus": "sg:projectStatus",
    "source": "dcterms:source",
    "isPartOf": "dcterms:isPartOf",
    "replaces": "dcterms:replaces",
    "wasDerivedFrom": "prov:wasDerivedFrom",
    "inScheme": "skos:inScheme",
    "involves": "sg:involves",
    "develops": "sg:develops",
    "extends": "sg:extends",
    "deploys": "sg:deploys",
    "uses": "sg:uses",
    "phasesOut": "sg:phasesOut",
    "concerns": "sg:concerns",
    "mentionedIn": "sg:mentionedIn",
    "operator": "sg:operator",
    "milestoneOf": "sg:milestoneOf",
    "milestoneStatus": "sg:milestoneStatus",
    "datePrecision": "sg:datePrecision",
    "figureOf": "sg:figureOf",
    "unit": "sg:unit",
    "comparator": "sg:comparator",
    "realisation": "sg:realisation",
    "milestone": "sg:milestone",
    "dependsOn": "sg:dependsOn",
    "deliveredVia": "sg:deliveredVia",
    "shownIn": "sg:shownIn",
    "integratesWith": "sg:integratesWith",
    "handedOverTo": "sg:handedOverTo",
    "carriedOnBy": "sg:carriedOnBy",
    # links to other datasets (docs/linking.md)
    "homepage": "foaf:homepage",
    "seeAlso": "rdfs:seeAlso",
    "isDefinedBy": "rdfs:isDefinedBy",
    "hasVersion": "dcterms:hasVersion",
    "messageFocus": "sg:messageFocus",
    "hasIdentifier": "adms:identifier",
}

# Plain strings as the source writes them.
STRINGS = {
    "identifier": "dcterms:identifier",
    "notation": "skos:notation",
    "abbreviation": "sg:abbreviation",
    "ownerAsPublished": "sg:ownerAsPublished",
}

# Dates, compacted to their lexical form.
DATES = {"periodStart": "sg:periodStart", "periodEnd": "sg:periodEnd"}


def context(base: str) -> dict:
    """The @context for IRIs under `base`."""
    terms: dict = dict(prefixes(base, extra=True))
    terms |= {
        name: {"@id": curie, "@container": "@language"} for name, curie in LANGUAGE_MAPS.items()
    }
    terms |= {name: {"@id": curie, "@type": "@id"} for name, curie in LINKS.items()}
    terms |= {name: {"@id": curie} for name, curie in STRINGS.items()}
    terms |= {name: {"@id": curie, "@type": "xsd:date"} for name, curie in DATES.items()}
    return terms
