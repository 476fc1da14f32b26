"""What the source document says, transcribed by hand, to check the curated data against.

Titles are as published (PDF line-break hyphens removed, the source's own spelling kept);
owners are the "Indsats-ejer" cell verbatim.
"""

FOCUS_AREAS = {
    "1": "Borgeren som aktiv partner",
    "2": "Viden til tiden",
    "3": "Forebyggelse",
    "4": "Tillid og sikkerhed om data",
    "5": "Fremdrift og fælles byggeblokke",
}

# identifier -> (published Danish title, owner cell as published)
INITIATIVES = {
    "1.1": ("Lægen i lommen – borgerrettet app i almen praksis", "PLO"),
    "1.2": ("Spørg patienten, patientrapporterede oplysninger (PRO)", "SDS"),
    "1.3": ("Digitalt understøttet genoptræning", "KL"),
    "1.4": (
        "En samlet visning af borgerens Sundhedsoplysninger (Sundhedsjournalen 3.0)",
        "DR",
    ),
    "1.5": ("Guide til sundhedsapp's", "ISM"),
    "1.6": ("Støtteværktøjer til kræftpatienter", "SDS"),
    "1.7": ("Digital løsning til graviditetsforløb", "SDS"),
    "2.1": ("Modernisering af digitale meddelelser i sundhedsvæsenet", "MedCom"),
    "2.2": ("Styrke udviklingen af Et samlet patientoverblik", "SDS"),
    "2.3": (
        "Digitale arbejdsgange i almen praksis og mere målrettet kommunikation med andre aktører",
        "MedCom",
    ),
    "2.4": ("Mere sikker medicinering på bosteder og misbrugscentre", "MedCom"),
    "2.5": ("Bedre overblik med strukturerede omsorgsjournaler i kommunen", "KL"),
    "3.1": ("Digitalt understøttet tidlig opsporing på det kommunale ældreområde", "KL"),
    "3.2": (
        "Afprøvning af nye teknologier til patientbehandling og pleje "
        "(til automatisering, prædiktion og beslutningsstøtte)",
        "ISM",
    ),
    "3.3": ("Digital beslutningsstøtte til medicinordination", "DR"),
    "3.4": (
        "Fortsat udbredelse af telemedicinsk hjemmemonitorering",
        "SDS, DR og Region Nordjylland",
    ),
    "3.5": ("Digitalt understøttede forløbsplaner til borgere med kronisk sygdom", "MedCom"),
    "3.6": ("Bedre opfølgning på screenings- og vaccinationsprogrammer", "DR og SDS"),
    "4.1": ("Borgeradgang til logoplysninger fra hospitalet", "DR"),
    "4.2": (
        "Styrket digital sikkerhed - fælles tiltag til øget cyber- og "
        "informationssikkerhed i hele sundhedsvæsenet",
        "SDS",
    ),
    "4.3": ("Styrket borgerkontrol med oplysninger som deles i sundhedsvæsenet", "SDS"),
    "4.4": ("It-sikkerhed i praksissektoren", "ISM"),
    "4.5": ("It-sikkerhed i praksissektoren", "ISM"),
    "5.1": ("Digitale velfærdsløsninger ud til borgeren", "SDS"),
    "5.2": ("Langsigtet målbillede for den fælles it-infrastruktur", "SDS"),
    "5.3": ("Bedre overblik over de organisatoriske enheder i sundhedsvæsenet", "SDS"),
    "5.4": ("Etablering af en national erstatnings-cpr løsning (eCPR)", "SDS"),
}

# owner cell abbreviation -> organisation slug
OWNER_SLUGS = {
    "PLO": "plo",
    "SDS": "sds",
    "KL": "kl",
    "DR": "dr",
    "ISM": "ism",
    "MedCom": "medcom",
    "Region Nordjylland": "region-nordjylland",
}

# 1.2, "Afsluttende status": "Der er udviklet og udvikles fortsat nationale spørgeskema på følgende
# områder: Diabetes, første jordemoderkonsultation, ..., sundhedsvaner." In the source's order.
QUESTIONNAIRE_AREAS = [
    "Diabetes",
    "første jordemoderkonsultation",
    "hjerterehabilitering",
    "hjertesvigt",
    "knæ- og hofteartrose",
    "KOL",
    "kronisk smerte",
    "palliation",
    "psoriasis",
    "stroke",
    "sundhedsvaner",
]

# Targets and plans in an initiative's description ("Indsatsbeskrivelse") and the milestone status
# the status text ("Afsluttende status") supports: `revised` only where the source says the target
# was missed or moved, otherwise the description's plan stays `planned`.
DESCRIPTION_TARGETS = {
    # "Den oprindelige plan var idriftsættelse af CareCommunication fra november 2024, ... sker
    # idriftsættelse i stedet fra d. 31. maj 2025": moved.
    "2.1-carecommunication-original-plan": "revised",
    # "inden udgangen af 2018" / status: "Ved udgangen af 2019 fik kommunerne implementeret": moved.
    "2.5-faelles-sprog-iii-original-target": "revised",
    # "klar til brug ... medio 2020" / status: "Projektet blev afsluttet i 2022", integration "i
    # projektperioden": the source never says the mid-2020 target was missed or moved.
    "3.3-tools-ready-mid-2020": "planned",
    # "skal udbredes fra 2018 i almen praksis" / status: the plans are rolled out and implemented,
    # but it does not confirm the year.
    "3.5-forloebsplaner-rollout-from-2018": "planned",
    # "i løbet af 2018 klargøres" / status: the attribute that SHAK's phase-out needed went live in
    # January 2025 and SHAK is last published in Q2 2025: the 2018 readiness was not met.
    "5.3-sor-ready-target-2018": "revised",
}

# The table of initiatives starts each page with the repeated header "Indsats Indsatsbeskrivelse
# ... Indsats-ejer"; counting those headers gives the table page each initiative starts on.
TABLE_PAGES = {
    **dict.fromkeys(("1.1", "1.2", "1.3", "1.4"), 1),
    **dict.fromkeys(("1.5", "1.6", "1.7"), 2),
    **dict.fromkeys(("2.1", "2.2"), 3),
    "2.3": 4,
    **dict.fromkeys(("2.4", "2.5"), 5),
    **dict.fromkeys(("3.1", "3.2", "3.3"), 6),
    **dict.fromkeys(("3.4", "3.5", "3.6"), 7),
    **dict.fromkeys(("4.1", "4.2"), 8),
    **dict.fromkeys(("4.3", "4.4", "4.5"), 9),
    **dict.fromkeys(("5.1", "5.2", "5.3", "5.4"), 10),
}
