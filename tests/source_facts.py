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
