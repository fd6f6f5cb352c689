"""The demo data recipe: who and what the demo workspace is about.

A supplier of dosing equipment and process chemicals (the seeds' "chemical product in a
customer's production line") with customers across Europe. Names deliberately include
Polish, Turkish, Greek, German and Nordic characters so every screen and report is exercised
with real-world text from day one.
"""

from __future__ import annotations

from fieldsupport.models.enums import UserRole

USERS: list[tuple[str, str, UserRole, str]] = [
    # username, display name, role, team
    ("anna.kowalska", "Anna Kowalska", UserRole.ENGINEER, "Field East"),
    ("mehmet.yilmaz", "Mehmet Yılmaz", UserRole.ENGINEER, "Field South"),
    ("lars.nygaard", "Lars Nygård", UserRole.ENGINEER, "Field North"),
    ("sophie.martin", "Sophie Martin", UserRole.ENGINEER, "Field West"),
    ("jonas.weber", "Jonas Weber", UserRole.ENGINEER, "Field Central"),
    ("eleni.papadopoulou", "Eleni Papadopoulou", UserRole.ENGINEER, "Field South"),
    ("dr.katarzyna.nowak", "Dr. Katarzyna Nowak", UserRole.ADVISOR, "Application Lab"),
    ("pierre.dubois", "Pierre Dubois", UserRole.ADVISOR, "Application Lab"),
    ("maria.santos", "Maria Santos", UserRole.BACK_OFFICE, "Service Office"),
    ("admin", "Workspace Administrator", UserRole.ADMIN, "IT"),
]

# code, name, category
PRODUCTS: list[tuple[str, str, str]] = [
    ("DP-200", "DosePro 200 dosing pump", "equipment"),
    ("DP-400", "DosePro 400 dosing pump", "equipment"),
    ("MX-10", "InlineMix MX-10 static mixer", "equipment"),
    ("PH-S3", "pH sensor S3", "equipment"),
    ("CT-900", "Controller CT-900", "equipment"),
    ("FC-1", "Flow cell FC-1", "equipment"),
    ("AQ-FLOC-55", "AquaFloc 55 flocculant", "chemical"),
    ("AQ-CLR-12", "AquaClear 12 coagulant", "chemical"),
    ("DF-300", "DeFoam 300 antifoam", "chemical"),
    ("BIO-7", "BioGuard 7 biocide", "chemical"),
    ("SC-40", "ScaleStop 40 antiscalant", "chemical"),
    ("SP-DIA-25", "Diaphragm kit 25 mm", "spare_part"),
    ("SP-VLV-12", "Check valve set 12 mm", "spare_part"),
    ("SP-CAL-7", "Calibration buffer pH 7", "consumable"),
    ("SP-CAL-4", "Calibration buffer pH 4", "consumable"),
]

EQUIPMENT_CODES = ["DP-200", "DP-400", "MX-10", "PH-S3", "CT-900", "FC-1"]

# name, industry, country, [(site name, street, postal code, city, lat, lon, access notes)]
CUSTOMERS: list[tuple[str, str, str, list[tuple[str, str, str, str, float, float, str]]]] = [
    (
        "Zakłady Chemiczne Odra S.A.",
        "Chemicals",
        "PL",
        [
            (
                "Zakład Opole",
                "ul. Energetyków 12",
                "45-920",
                "Opole",
                50.6751,
                17.9213,
                "Gate 3; safety induction at the lodge; helmet and goggles required.",
            ),
            (
                "Magazyn Kędzierzyn",
                "ul. Szkolna 5",
                "47-220",
                "Kędzierzyn-Koźle",
                50.3494,
                18.2263,
                "Ask for the shift leader; no photos in hall B.",
            ),
        ],
    ),
    (
        "Ege Tekstil Boya A.Ş.",
        "Textiles",
        "TR",
        [
            (
                "İzmir Boyahane",
                "Atatürk OSB 10002 Sk. No:7",
                "35620",
                "Çiğli/İzmir",
                38.4965,
                27.0628,
                "Entrance via the south gate; PPE provided on site.",
            ),
        ],
    ),
    (
        "Nordic Paper & Board AB",
        "Pulp & paper",
        "SE",
        [
            (
                "Bruk Åmotfors",
                "Bruksvägen 1",
                "673 21",
                "Åmotfors",
                59.7633,
                12.3685,
                "Report to the control room; ear protection in PM2.",
            ),
            (
                "Bruk Säffle",
                "Industrigatan 14",
                "661 30",
                "Säffle",
                59.1326,
                12.9299,
                "Visitor parking at the north lot.",
            ),
        ],
    ),
    (
        "Αθηναϊκή Ζυθοποιία Α.Ε.",
        "Food & beverage",
        "GR",
        [
            (
                "Ζυθοποιείο Σίνδου",
                "ΒΙ.ΠΕ. Σίνδου, Οδός 4",
                "57022",
                "Θεσσαλονίκη",
                40.6672,
                22.8047,
                "Hygiene rules: hair net, no jewellery in the brewhouse.",
            ),
        ],
    ),
    (
        "Stadtwerke Lindenau GmbH",
        "Water utility",
        "DE",
        [
            (
                "Wasserwerk Nord",
                "Am Wasserturm 3",
                "04177",
                "Leipzig",
                51.3516,
                12.3258,
                "Key at the gatehouse; call ahead after 16:00.",
            ),
            (
                "Klärwerk Süd",
                "Zur Kläranlage 9",
                "04319",
                "Leipzig",
                51.3089,
                12.4711,
                "Gas detector mandatory in the digester area.",
            ),
        ],
    ),
    (
        "Brasserie des Trois Vallées SARL",
        "Food & beverage",
        "FR",
        [
            (
                "Site de Lavaur",
                "Route de Toulouse 22",
                "81500",
                "Lavaur",
                43.6989,
                1.8189,
                "Reception in building A; CIP schedule posted at the entrance.",
            ),
        ],
    ),
    (
        "Kraków Galvanotechnika Sp. z o.o.",
        "Metal finishing",
        "PL",
        [
            (
                "Hala produkcyjna",
                "ul. Półłanki 64",
                "30-740",
                "Kraków",
                50.0323,
                20.0213,
                "Acid area: face shield; engineer must sign the permit-to-work.",
            ),
        ],
    ),
    (
        "Marmara Kâğıt Sanayi A.Ş.",
        "Pulp & paper",
        "TR",
        [
            (
                "Gebze Fabrika",
                "GOSB 1200. Cd. No:12",
                "41480",
                "Gebze/Kocaeli",
                40.8214,
                29.4419,
                "Security escort required inside the plant.",
            ),
        ],
    ),
    (
        "Fjordvann Akvakultur AS",
        "Aquaculture",
        "NO",
        [
            (
                "Settefisk Bjørnafjorden",
                "Sjøvegen 40",
                "5200",
                "Os",
                60.1869,
                5.4681,
                "Boots disinfected at the entrance; no access during feeding 12–13.",
            ),
        ],
    ),
    (
        "Česká Mlékárna Vysočina a.s.",
        "Dairy",
        "CZ",
        [
            (
                "Závod Jihlava",
                "Průmyslová 2",
                "586 01",
                "Jihlava",
                49.4028,
                15.6050,
                "Hygiene lock before the production floor.",
            ),
        ],
    ),
    (
        "Атлант Хим ООО",
        "Chemicals",
        "RS",
        [
            (
                "Погон Панчево",
                "Спољностарчевачка 199",
                "26000",
                "Панчево",
                44.8546,
                20.6839,
                "Passport check at the gate; allow 20 minutes.",
            ),
        ],
    ),
    (
        "Helsingin Puhdasvesi Oy",
        "Water utility",
        "FI",
        [
            (
                "Vesilaitos Pitkäkoski",
                "Vesilaitoksentie 1",
                "00680",
                "Helsinki",
                60.2417,
                24.9128,
                "Sign in at the control room; hard hat in the chemical store.",
            ),
        ],
    ),
]

FIRST_NAMES = [
    "Piotr",
    "Ayşe",
    "Erik",
    "Νίκος",
    "Katrin",
    "Julien",
    "Zofia",
    "Emre",
    "Ingrid",
    "Jana",
    "Мирко",
    "Aino",
    "Tomasz",
    "Selin",
    "Björn",
    "Claire",
]
LAST_NAMES = [
    "Wiśniewski",
    "Demir",
    "Lindqvist",
    "Παπαδάκης",
    "Schröder",
    "Lefèvre",
    "Zając",
    "Öztürk",
    "Hansen",
    "Dvořáková",
    "Јовановић",
    "Virtanen",
    "Kaczmarek",
    "Şahin",
    "Sørensen",
    "Moreau",
]
CONTACT_ROLES = [
    "Plant manager",
    "Maintenance lead",
    "Process engineer",
    "Shift supervisor",
    "Quality manager",
    "Purchasing",
]

# Case titles per assist type (product code placeholders are filled by the generator).
CASE_TITLES: dict[str, list[str]] = {
    "A1": [
        "Question about the dosing range of {product}",
        "Request for the safety data sheet of {product}",
        "Compatibility of {product} with stainless steel 316L",
        "Spare parts list for {product}",
        "How to store {product} over winter",
    ],
    "A2": [
        "Leaking pump head on {product}",
        "Damaged delivery of {product}",
        "Wrong concentration in batch of {product}",
        "Controller display failure on {product}",
        "Invoice disputed: {product} not delivered in full",
    ],
    "A3": [
        "Optimise flocculant dosing with {product}",
        "Foam problem in aeration basin: trial with {product}",
        "Scale build-up in heat exchanger: {product} programme",
        "Adapt dosing for the new production line ({product})",
        "Reduce chemical consumption on {product}",
    ],
    "A4": [
        "Advisory: firmware issue on {product}",
        "Recall check: diaphragm batch for {product}",
        "Quality notice: sensor drift on {product}",
        "Safety advisory: check valve on {product}",
    ],
}

NOTES = [
    "Customer called, issue confirmed by the shift supervisor.",
    "Sent the datasheet and the application guide by e-mail.",
    "Asked the customer for photos of the installation.",
    "Discussed the dosing schedule with the process engineer.",
    "Spare parts reserved in the central warehouse.",
    "Customer prefers a visit on Tuesday morning.",
    "Lab results received: concentration within specification.",
    "Reminder: bring calibration buffers for the pH sensor.",
]

RESOLUTIONS = [
    "Replaced the diaphragm and check valves; pump tested at nominal flow.",
    "Adjusted dosing setpoint; turbidity within target for two days.",
    "Provided the requested documentation; customer confirmed it answers the question.",
    "Replacement batch delivered; defective batch collected for analysis.",
    "Firmware updated to 2.4.1; controller verified against reference.",
    "Trial successful; customer adopted the new dosing programme.",
]

MEASUREMENTS: list[tuple[str, str, float, float, float, float]] = [
    # name, unit, lower, upper, typical, spread
    ("pH", "pH", 6.5, 8.5, 7.4, 0.9),
    ("Turbidity", "NTU", 0.0, 1.0, 0.6, 0.6),
    ("Dosing flow", "ml/min", 10.0, 14.0, 12.0, 2.5),
    ("Conductivity", "µS/cm", 200.0, 800.0, 520.0, 250.0),
    ("Temperature", "°C", 15.0, 35.0, 24.0, 9.0),
    ("Pressure", "bar", 1.0, 6.0, 3.2, 2.0),
]

KNOWLEDGE_ARTICLES: list[tuple[str, str, str]] = [
    (
        "Replacing the diaphragm on DosePro pumps",
        "1. Stop the pump and relieve pressure.\n2. Flush the head with water.\n"
        "3. Remove the four head screws crosswise.\n4. Replace diaphragm and check valves "
        "(kit SP-DIA-25).\n5. Tighten to 4 Nm crosswise and test at nominal flow.",
        "pump,diaphragm,maintenance",
    ),
    (
        "Calibrating the pH sensor S3",
        "Use fresh pH 7 and pH 4 buffers at process temperature. Rinse between buffers. "
        "Accept a slope between 95 % and 102 %; replace the sensor otherwise.",
        "ph,sensor,calibration",
    ),
    (
        "Foam control in aeration basins",
        "Dose DeFoam 300 at 5–15 ppm at the basin inlet. Start low, increase in steps of 2 ppm "
        "every 30 minutes, record foam height before and after.",
        "foam,antifoam,wastewater",
    ),
    (
        "Jar test procedure for flocculant selection",
        "Six jars, 1 litre each; dose 0, 1, 2, 4, 6, 8 ppm; rapid mix 1 min, slow mix 10 min, "
        "settle 15 min; measure turbidity of the supernatant.",
        "flocculant,jar test,water",
    ),
]
