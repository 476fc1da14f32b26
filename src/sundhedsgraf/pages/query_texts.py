"""The query page's own interface texts, in both languages (the shared ones are in i18n.UI)."""

from sundhedsgraf.pages.i18n import LANGUAGES

UI = {
    "editor_help": (
        "Ctrl+Mellemrum foreslår præfikser, klasser, egenskaber og ressourcer; Ctrl+Enter kører "
        "forespørgslen; Esc og derefter Tab forlader editoren.",
        "Ctrl+Space suggests prefixes, classes, properties and resources; Ctrl+Enter runs the "
        "query; Esc then Tab leaves the editor.",
    ),
    "prefixes_added": ("Tilføjet, så forespørgslen kan køre:", "Added so that the query runs:"),
    "running": ("Kører …", "Running …"),
    "run_failed": (
        "Forespørgslen kunne ikke sendes; prøv igen.",
        "The query could not be sent; try again.",
    ),
    "share": ("Link til denne forespørgsel", "Link to this query"),
    "history": ("Dine seneste forespørgsler", "Your recent queries"),
    "history_note": (
        "Gemt i din browser, kun her på denne maskine.",
        "Kept in your browser, on this machine only.",
    ),
    "history_empty": ("Ingen endnu.", "None yet."),
    "history_clear": ("Ryd historikken", "Clear the history"),
    "examples_intro": (
        "Hvert eksempel besvarer et spørgsmål om porteføljen. Åbn det for at køre det og se "
        "forespørgslen i editoren.",
        "Each example answers a question about the portfolio. Open one to run it and see the "
        "query in the editor.",
    ),
    "warnings": ("Bemærk", "Note"),
    "sort_by": ("Sortér efter ?{name}", "Sort by ?{name}"),
    "ascending": ("stigende", "ascending"),
    "descending": ("faldende", "descending"),
    "rows_shown": ("Række {first}–{last} af {n}", "Rows {first}–{last} of {n}"),
    "table_pages": ("Sider i resultatet", "Pages of the result"),
    "no_rows": ("Ingen rækker.", "No rows."),
    "chart": ("Diagram", "Chart"),
    "chart_label": ("Betegnelser fra", "Labels from"),
    "chart_value": ("Tal fra", "Numbers from"),
    "draw": ("Tegn", "Draw"),
    "chart_first": (
        "Diagrammet viser de første {n} rækker i tabellens orden.",
        "The chart shows the first {n} rows, in the table's order.",
    ),
    "turtle": ("Svaret som Turtle", "The answer as Turtle"),
    "turtle_first": (
        "Viser de første {n} tripler; hent dem alle nedenfor.",
        "Shows the first {n} triples; download them all below.",
    ),
    "resources": ("Ressourcerne i svaret", "The resources in the answer"),
    "picture": ("Svaret som netværk", "The answer as a network"),
    "picture_open": ("Åbn billedet (SVG)", "Open the picture (SVG)"),
    "picture_none": (
        "Intet billede: svaret har ingen tripler mellem to ressourcer (værdier tegnes ikke).",
        "No picture: the answer has no triples between two resources (values are not drawn).",
    ),
    "picture_large": (
        "Intet billede: svaret har {n} tripler mellem ressourcer, og et netværk er kun "
        "læseligt med højst {max}. Afgræns forespørgslen, eller åbn en ressources side, hvor "
        "dens naboer er tegnet.",
        "No picture: the answer has {n} triples between resources, and a network is legible "
        "only with at most {max}. Narrow the query, or open a resource's page, where its "
        "neighbours are drawn.",
    ),
    "resources_first": ("De første {n} vises.", "The first {n} are shown."),
    "code": ("Brug forespørgslen fra kode", "Use this query from code"),
    "code_intro": (
        "Klar til at kopiere, med forespørgslen skrevet ind og kodet korrekt.",
        "Ready to copy, with the query written in and encoded.",
    ),
    "csv_link": ("Denne sides resultat som", "This page's result as"),
    "copy_code": ("Kopiér", "Copy"),
    "copied": ("Kopieret", "Copied"),
}


def texts(lang: str) -> dict[str, str]:
    index = LANGUAGES.index(lang)
    return {key: pair[index] for key, pair in UI.items()}
