"""A labelled corpus of news-story pairs for `make bench-dedupe`: revisions, syndicated copies, translations, and
hard negatives (the same topic, the same actors, another story), in English, French, Spanish, German and Indonesian.

Stories are written from parallel paragraph templates (the same facts in each language) filled with seeded random
facts: people, places, numbers, dates. What each pair is comes from how it was made, so the labels are exact:

- revision: the same site republishes the story with 1-3 paragraphs added, a figure updated, often a new headline
  and an update note;
- duplicate: another site runs the story with its own headline and dateline, a paragraph cut (often), a few
  words changed and its own boilerplate lines;
- translation: another site runs the same facts in another language;
- different (same or other language): another story of the same kind about the same countries or institutions,
  sharing their names, the background paragraph and the wording of the templates: harder than most real pairs.

Deterministic: the same corpus every run.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Literal

LANGUAGES = ("en", "fr", "es", "de", "id")

Label = Literal["revision", "duplicate", "translation", "different"]

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "id": "Januar Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
}

_COUNTRIES = {
    "Armenia": ("Armenia", "l'Arménie", "Armenia", "Armenien", "Armenia"),
    "Azerbaijan": ("Azerbaijan", "l'Azerbaïdjan", "Azerbaiyán", "Aserbaidschan", "Azerbaijan"),
    "Ethiopia": ("Ethiopia", "l'Éthiopie", "Etiopía", "Äthiopien", "Ethiopia"),
    "Eritrea": ("Eritrea", "l'Érythrée", "Eritrea", "Eritrea", "Eritrea"),
    "Serbia": ("Serbia", "la Serbie", "Serbia", "Serbien", "Serbia"),
    "Kosovo": ("Kosovo", "le Kosovo", "Kosovo", "Kosovo", "Kosovo"),
    "India": ("India", "l'Inde", "India", "Indien", "India"),
    "Pakistan": ("Pakistan", "le Pakistan", "Pakistán", "Pakistan", "Pakistan"),
    "Kyrgyzstan": ("Kyrgyzstan", "le Kirghizistan", "Kirguistán", "Kirgistan", "Kirgistan"),
    "Tajikistan": ("Tajikistan", "le Tadjikistan", "Tayikistán", "Tadschikistan", "Tajikistan"),
    "Russia": ("Russia", "la Russie", "Rusia", "Russland", "Rusia"),
    "Turkey": ("Turkey", "la Turquie", "Turquía", "die Türkei", "Turki"),
    "France": ("France", "la France", "Francia", "Frankreich", "Prancis"),
    "Brazil": ("Brazil", "le Brésil", "Brasil", "Brasilien", "Brasil"),
    "Chile": ("Chile", "le Chili", "Chile", "Chile", "Chili"),
    "Nigeria": ("Nigeria", "le Nigeria", "Nigeria", "Nigeria", "Nigeria"),
    "Portugal": ("Portugal", "le Portugal", "Portugal", "Portugal", "Portugal"),
    "Greece": ("Greece", "la Grèce", "Grecia", "Griechenland", "Yunani"),
    "Spain": ("Spain", "l'Espagne", "España", "Spanien", "Spanyol"),
    "Indonesia": ("Indonesia", "l'Indonésie", "Indonesia", "Indonesien", "Indonesia"),
}
_RIVALS = [("Armenia", "Azerbaijan"), ("Ethiopia", "Eritrea"), ("Serbia", "Kosovo"), ("India", "Pakistan")]
_RIVALS += [("Kyrgyzstan", "Tajikistan")]
_MEDIATORS = ["Russia", "Turkey", "France"]
_VOTERS = ["Brazil", "Chile", "Nigeria", "Portugal", "Indonesia"]
_FIRES = ["Greece", "Spain", "Portugal", "Chile", "Indonesia"]

_PEOPLE = """Nikol Pashinyan, Ilham Aliyev, Suren Papikyan, Zakir Hasanov, Abiy Ahmed, Isaias Afwerki, Redwan Hussein,
Aleksandar Vucic, Albin Kurti, Ana Brnabic, Shehbaz Sharif, Rajnath Singh, Sadyr Japarov, Emomali Rahmon,
Toivo Klaar, Josep Borrell, Sergei Lavrov, Hakan Fidan, Mevlut Cavusoglu, Luiz Inacio Lula, Jair Bolsonaro,
Gabriel Boric, Jose Antonio Kast, Bola Tinubu, Atiku Abubakar, Peter Obi, Luis Montenegro, Pedro Nuno Santos,
Prabowo Subianto, Ganjar Pranowo, Anies Baswedan, Roberto Campos Neto, Rosanna Costa, Godwin Emefiele,
Mario Centeno, Perry Warjiyo, Yannis Stournaras, Pablo Hernandez de Cos, Kyriakos Mitsotakis, Vasilis Kikilias,
Fernando Grande-Marlaska, Margarita Robles, Carlos Moedas, Joao Galamba, Manuel Pizarro, Elena Kalogeropoulou,
Ricardo Neves, Maria Rodrigues, Tomas Herrera, Dewi Kartika, Budi Gunadi, Siti Nurbaya, Olumide Adeyemi,
Chiara Bianchi, Henrik Larsen, Ingrid Olsen, Lucas Ferreira, Camila Rojas, Andres Molina, Yusuf Demir""".replace(
    "\n", " "
)
PEOPLE = [name.strip() for name in _PEOPLE.split(",")]
_PLACES = """Tavush, Jermuk, Sotk, Lachin, Kelbajar, Zalambessa, Badme, Tsorona, Jarinje, Zvecan, Leposavic, Uri,
Poonch, Kupwara, Batken, Isfara, Vorukh, Evia, Attica, Rhodes, Valdeorras, Monchique, Leiria, Sintra, Ourense,
Zamora, Valparaiso, Vina del Mar, Riau, Jambi, Palangkaraya""".replace("\n", " ")
PLACES = [name.strip() for name in _PLACES.split(",")]
_BANKS = {
    "Brazil": "Banco Central do Brasil",
    "Chile": "Banco Central de Chile",
    "Nigeria": "Central Bank of Nigeria",
    "Portugal": "Banco de Portugal",
    "Indonesia": "Bank Indonesia",
    "Greece": "Bank of Greece",
    "Spain": "Banco de Espana",
}
_PARTIES = ["PDN", "UFR", "MRS", "APC", "PSD", "PRN", "FNA", "UDP", "PKR", "MDA"]

# Paragraph templates: the same fact in every language. {a}, {b}, {m}: countries (localized); {p1}..{p4}: people;
# {x}, {y}: places; {n1}..{n6}: whole numbers; {d1}..{d4}: decimals; {day}, {month}, {year}; {bank}, {q1}, {q2}.
_TOPICS: dict[str, dict[str, dict[str, list[str]]]] = {
    "clash": {
        "en": {
            "headline": [
                "{A} and {B} trade blame over deadly border clashes",
                "At least {n1} killed in new {A}-{B} border fighting",
                "{M} says it brokered ceasefire between {A} and {B}",
            ],
            "lead": [
                "{A} and {B} accused each other on {weekday} of starting new border clashes near {x}, with {p1} "
                "saying at least {n1} soldiers had been killed."
            ],
            "body": [
                "The fighting erupted around {n2}:00 local time near the village of {y} and spread along the shared "
                "border, officials on both sides said.",
                "{p2}, the defence minister of {b}, said its positions had come under heavy artillery fire and that "
                "troops had taken measures to suppress the attacks.",
                "{p1} held telephone calls with leaders in {m} and with the European Union envoy {p3}, who urged "
                "both sides to return to talks.",
                "The foreign ministry in {m} said it was extremely concerned by the escalation and called for a "
                "ceasefire from {n3}:00 on {day} {month}.",
                "Local officials said {n4} civilians had been evacuated from border villages and at least {n5} homes "
                "had been damaged by shelling.",
                "{p4}, a spokesman for the government of {a}, told reporters that {n6} soldiers had also been "
                "wounded and that the toll could rise.",
                "The United Nations Security Council was due to hold an emergency meeting on the fighting on {day} "
                "{month}, diplomats said.",
                "Satellite images published by independent analysts showed damage to at least {n5} military "
                "positions around {y}.",
                "Residents of {x} said they had spent the night in basements as explosions shook the town until dawn.",
            ],
            "background": [
                "The two neighbours fought a war in {year} over the border region around {x}, which claimed more "
                "than {big} lives and ended with a ceasefire brokered by {m}."
            ],
        },
        "fr": {
            "headline": [
                "{A} et {B} s'accusent mutuellement d'affrontements meurtriers à la frontière",
                "Au moins {n1} morts dans de nouveaux combats entre {A} et {B}",
                "{M} annonce avoir négocié un cessez-le-feu entre {A} et {B}",
            ],
            "lead": [
                "{a} et {b} se sont mutuellement accusés {weekday} d'avoir déclenché de nouveaux affrontements "
                "frontaliers près de {x}, {p1} affirmant qu'au moins {n1} soldats avaient été tués."
            ],
            "body": [
                "Les combats ont éclaté vers {n2}h00 heure locale près du village de {y} et se sont étendus le long "
                "de la frontière commune, ont indiqué des responsables des deux camps.",
                "{p2}, le ministre de la Défense de {b}, a déclaré que ses positions avaient essuyé d'intenses tirs "
                "d'artillerie et que les troupes avaient pris des mesures pour repousser les attaques.",
                "{p1} s'est entretenu par téléphone avec des dirigeants de {m} et avec l'émissaire de l'Union "
                "européenne {p3}, qui a exhorté les deux parties à reprendre les pourparlers.",
                "Le ministère des Affaires étrangères de {m} s'est dit extrêmement préoccupé par l'escalade et a "
                "appelé à un cessez-le-feu à partir de {n3}h00 le {day} {month}.",
                "Selon les autorités locales, {n4} civils ont été évacués des villages frontaliers et au moins {n5} "
                "maisons ont été endommagées par les bombardements.",
                "{p4}, porte-parole du gouvernement de {a}, a déclaré à la presse que {n6} soldats avaient également "
                "été blessés et que le bilan pourrait s'alourdir.",
                "Le Conseil de sécurité des Nations unies devait tenir une réunion d'urgence sur les combats le {day} "
                "{month}, selon des diplomates.",
                "Des images satellites publiées par des analystes indépendants montrent des dégâts sur au moins {n5} "
                "positions militaires autour de {y}.",
                "Les habitants de {x} ont raconté avoir passé la nuit dans des caves tandis que les explosions "
                "secouaient la ville jusqu'à l'aube.",
            ],
            "background": [
                "Les deux voisins se sont livré une guerre en {year} pour la région frontalière autour de {x}, qui a "
                "fait plus de {big} morts et s'est achevée par un cessez-le-feu négocié par {m}."
            ],
        },
        "es": {
            "headline": [
                "{A} y {B} se culpan mutuamente de los mortíferos enfrentamientos fronterizos",
                "Al menos {n1} muertos en nuevos combates entre {A} y {B}",
                "{M} afirma haber negociado un alto el fuego entre {A} y {B}",
            ],
            "lead": [
                "{A} y {B} se acusaron mutuamente el {weekday} de iniciar nuevos enfrentamientos fronterizos cerca "
                "de {x}, y {p1} afirmó que al menos {n1} soldados habían muerto."
            ],
            "body": [
                "Los combates estallaron hacia las {n2}:00 hora local cerca de la aldea de {y} y se extendieron a lo "
                "largo de la frontera común, según responsables de ambas partes.",
                "{p2}, ministro de Defensa de {b}, dijo que sus posiciones habían sido objeto de intenso fuego de "
                "artillería y que las tropas habían tomado medidas para repeler los ataques.",
                "{p1} mantuvo conversaciones telefónicas con dirigentes de {m} y con el enviado de la Unión Europea "
                "{p3}, quien instó a ambas partes a volver a la mesa de negociación.",
                "El ministerio de Asuntos Exteriores de {m} se declaró sumamente preocupado por la escalada y pidió "
                "un alto el fuego a partir de las {n3}:00 del {day} de {month}.",
                "Las autoridades locales informaron de que {n4} civiles fueron evacuados de las aldeas fronterizas y "
                "al menos {n5} viviendas resultaron dañadas por los bombardeos.",
                "{p4}, portavoz del gobierno de {a}, dijo a los periodistas que {n6} soldados también resultaron "
                "heridos y que el balance podría aumentar.",
                "El Consejo de Seguridad de las Naciones Unidas tenía previsto celebrar una reunión de urgencia sobre "
                "los combates el {day} de {month}, según diplomáticos.",
                "Imágenes de satélite publicadas por analistas independientes muestran daños en al menos {n5} "
                "posiciones militares en torno a {y}.",
                "Los vecinos de {x} contaron que pasaron la noche en sótanos mientras las explosiones sacudían la "
                "ciudad hasta el amanecer.",
            ],
            "background": [
                "Los dos vecinos libraron una guerra en {year} por la región fronteriza en torno a {x}, que causó más "
                "de {big} muertos y terminó con un alto el fuego negociado por {m}."
            ],
        },
        "de": {
            "headline": [
                "{A} und {B} geben sich gegenseitig die Schuld an tödlichen Grenzgefechten",
                "Mindestens {n1} Tote bei neuen Kämpfen zwischen {A} und {B}",
                "{M} vermittelt nach eigenen Angaben Waffenruhe zwischen {A} und {B}",
            ],
            "lead": [
                "{A} und {B} haben sich am {weekday} gegenseitig vorgeworfen, neue Grenzgefechte nahe {x} begonnen "
                "zu haben; nach Angaben von {p1} wurden mindestens {n1} Soldaten getötet."
            ],
            "body": [
                "Die Kämpfe brachen gegen {n2}:00 Uhr Ortszeit nahe dem Dorf {y} aus und weiteten sich entlang der "
                "gemeinsamen Grenze aus, wie Vertreter beider Seiten mitteilten.",
                "{p2}, der Verteidigungsminister von {b}, sagte, die eigenen Stellungen seien unter schweren "
                "Artilleriebeschuss geraten und die Truppen hätten Maßnahmen zur Abwehr der Angriffe ergriffen.",
                "{p1} telefonierte mit Staatsführern in {m} und mit dem EU-Gesandten {p3}, der beide Seiten "
                "aufforderte, an den Verhandlungstisch zurückzukehren.",
                "Das Außenministerium in {m} zeigte sich äußerst besorgt über die Eskalation und rief zu einer "
                "Waffenruhe ab {n3}:00 Uhr am {day}. {month} auf.",
                "Nach Angaben örtlicher Behörden wurden {n4} Zivilisten aus Grenzdörfern in Sicherheit gebracht, "
                "mindestens {n5} Häuser wurden durch Beschuss beschädigt.",
                "{p4}, ein Sprecher der Regierung von {a}, sagte Journalisten, {n6} Soldaten seien zudem verletzt "
                "worden, die Zahl der Opfer könne noch steigen.",
                "Der UN-Sicherheitsrat sollte nach Angaben von Diplomaten am {day}. {month} zu einer "
                "Dringlichkeitssitzung über die Kämpfe zusammenkommen.",
                "Von unabhängigen Analysten veröffentlichte Satellitenbilder zeigen Schäden an mindestens {n5} "
                "Militärstellungen rund um {y}.",
                "Bewohner von {x} berichteten, sie hätten die Nacht in Kellern verbracht, während Explosionen die "
                "Stadt bis zum Morgengrauen erschütterten.",
            ],
            "background": [
                "Die beiden Nachbarn führten {year} einen Krieg um die Grenzregion rund um {x}, der mehr als {big} "
                "Menschenleben forderte und mit einer von {m} vermittelten Waffenruhe endete."
            ],
        },
        "id": {
            "headline": [
                "{A} dan {B} saling menyalahkan atas bentrokan perbatasan yang mematikan",
                "Sedikitnya {n1} tewas dalam pertempuran baru {A}-{B}",
                "{M} mengaku menengahi gencatan senjata antara {A} dan {B}",
            ],
            "lead": [
                "{A} dan {B} saling menuduh pada hari {weekday} telah memulai bentrokan perbatasan baru di dekat {x}, "
                "dan {p1} mengatakan sedikitnya {n1} tentara tewas."
            ],
            "body": [
                "Pertempuran pecah sekitar pukul {n2}.00 waktu setempat di dekat desa {y} dan meluas di sepanjang "
                "perbatasan bersama, kata para pejabat kedua belah pihak.",
                "{p2}, menteri pertahanan {b}, mengatakan posisi pasukannya diserang tembakan artileri berat dan "
                "pasukan telah mengambil langkah untuk menangkis serangan tersebut.",
                "{p1} melakukan pembicaraan telepon dengan para pemimpin di {m} dan dengan utusan Uni Eropa {p3}, "
                "yang mendesak kedua pihak untuk kembali berunding.",
                "Kementerian luar negeri {m} mengatakan sangat prihatin atas eskalasi tersebut dan menyerukan "
                "gencatan senjata mulai pukul {n3}.00 pada {day} {month}.",
                "Pejabat setempat mengatakan {n4} warga sipil telah dievakuasi dari desa-desa perbatasan dan "
                "sedikitnya {n5} rumah rusak akibat penembakan.",
                "{p4}, juru bicara pemerintah {a}, mengatakan kepada wartawan bahwa {n6} tentara juga terluka dan "
                "jumlah korban bisa bertambah.",
                "Dewan Keamanan Perserikatan Bangsa-Bangsa dijadwalkan menggelar pertemuan darurat mengenai "
                "pertempuran itu pada {day} {month}, kata para diplomat.",
                "Citra satelit yang diterbitkan analis independen menunjukkan kerusakan pada sedikitnya {n5} posisi "
                "militer di sekitar {y}.",
                "Warga {x} mengatakan mereka menghabiskan malam di ruang bawah tanah sementara ledakan mengguncang "
                "kota hingga subuh.",
            ],
            "background": [
                "Kedua negara bertetangga itu berperang pada {year} memperebutkan wilayah perbatasan di sekitar {x}, "
                "yang menewaskan lebih dari {big} orang dan berakhir dengan gencatan senjata yang ditengahi {m}."
            ],
        },
    },
    "rates": {
        "en": {
            "headline": [
                "{bank} raises key rate to {d1} percent",
                "{bank} hikes rates by {q1} basis points to fight inflation",
                "Inflation at {d2} percent pushes {bank} to raise rates again",
            ],
            "lead": [
                "The {bank} raised its benchmark interest rate by {q1} basis points to {d1} percent on {weekday}, "
                "its {n1}th increase in a row, as inflation in {a} climbed to {d2} percent."
            ],
            "body": [
                "Governor {p1} told a news conference in {x} that the bank was ready to act further if price "
                "pressures did not ease in the coming months.",
                "The decision was taken unanimously by the {n2} members of the monetary policy committee, the bank "
                "said in a statement.",
                "The bank now expects inflation to average {d3} percent this year and {d4} percent next year, above "
                "its medium-term target.",
                "Most of the {n3} economists polled before the meeting had expected an increase of {q2} basis points.",
                "Finance minister {p2} said the government would keep supporting households hit by higher food "
                "and energy prices.",
                "The national currency gained {d4} percent against the dollar after the announcement, while the "
                "main stock index fell {d3} percent.",
                "Business groups warned that higher borrowing costs would weigh on investment, and {p3}, head of the "
                "chamber of commerce, called for targeted support for small firms.",
                "The next meeting of the committee is scheduled for {day} {month}, when new economic projections "
                "will be published.",
                "Economist {p4} said the bank was likely to pause once inflation had clearly peaked, possibly early "
                "next year.",
            ],
            "background": [
                "Central banks around the world have raised rates at the fastest pace in decades since prices began "
                "to climb as economies reopened after the pandemic."
            ],
        },
        "fr": {
            "headline": [
                "La {bank} relève son taux directeur à {d1} %",
                "La {bank} relève ses taux de {q1} points de base face à l'inflation",
                "Une inflation de {d2} % pousse la {bank} à relever encore ses taux",
            ],
            "lead": [
                "La {bank} a relevé {weekday} son taux directeur de {q1} points de base, à {d1} %, sa {n1}e hausse "
                "consécutive, alors que l'inflation en {a} a atteint {d2} %."
            ],
            "body": [
                "Le gouverneur {p1} a déclaré lors d'une conférence de presse à {x} que la banque était prête à agir "
                "davantage si les pressions sur les prix ne s'atténuaient pas dans les prochains mois.",
                "La décision a été prise à l'unanimité par les {n2} membres du comité de politique monétaire, a "
                "indiqué la banque dans un communiqué.",
                "La banque table désormais sur une inflation moyenne de {d3} % cette année et de {d4} % l'an "
                "prochain, au-dessus de son objectif à moyen terme.",
                "La plupart des {n3} économistes interrogés avant la réunion s'attendaient à une hausse de {q2} "
                "points de base.",
                "Le ministre des Finances {p2} a assuré que le gouvernement continuerait de soutenir les ménages "
                "touchés par la hausse des prix de l'alimentation et de l'énergie.",
                "La monnaie nationale a gagné {d4} % face au dollar après l'annonce, tandis que le principal indice "
                "boursier a reculé de {d3} %.",
                "Les organisations patronales ont averti que le renchérissement du crédit pèserait sur "
                "l'investissement, et {p3}, président de la chambre de commerce, a réclamé des aides ciblées pour "
                "les petites entreprises.",
                "La prochaine réunion du comité est prévue le {day} {month}, date à laquelle de nouvelles "
                "projections économiques seront publiées.",
                "L'économiste {p4} estime que la banque devrait faire une pause une fois le pic d'inflation "
                "clairement passé, peut-être en début d'année prochaine.",
            ],
            "background": [
                "Les banques centrales du monde entier relèvent leurs taux au rythme le plus rapide depuis des "
                "décennies, depuis que les prix ont commencé à grimper avec la réouverture des économies après la "
                "pandémie."
            ],
        },
        "es": {
            "headline": [
                "El {bank} sube su tasa de referencia al {d1} %",
                "El {bank} eleva los tipos {q1} puntos básicos para combatir la inflación",
                "Una inflación del {d2} % lleva al {bank} a subir de nuevo los tipos",
            ],
            "lead": [
                "El {bank} elevó el {weekday} su tasa de interés de referencia en {q1} puntos básicos, hasta el {d1} "
                "%, su {n1}ª subida consecutiva, mientras la inflación en {a} escaló al {d2} %."
            ],
            "body": [
                "El gobernador {p1} dijo en una rueda de prensa en {x} que el banco estaba dispuesto a actuar más si "
                "las presiones sobre los precios no remitían en los próximos meses.",
                "La decisión fue adoptada por unanimidad por los {n2} miembros del comité de política monetaria, "
                "informó el banco en un comunicado.",
                "El banco prevé ahora una inflación media del {d3} % este año y del {d4} % el próximo, por encima de "
                "su objetivo a medio plazo.",
                "La mayoría de los {n3} economistas consultados antes de la reunión esperaba una subida de {q2} "
                "puntos básicos.",
                "El ministro de Hacienda, {p2}, afirmó que el gobierno seguirá apoyando a los hogares afectados por "
                "el alza de los precios de los alimentos y la energía.",
                "La moneda nacional ganó un {d4} % frente al dólar tras el anuncio, mientras que el principal índice "
                "bursátil cayó un {d3} %.",
                "Las patronales advirtieron de que el encarecimiento del crédito lastrará la inversión, y {p3}, "
                "presidente de la cámara de comercio, pidió ayudas específicas para las pequeñas empresas.",
                "La próxima reunión del comité está prevista para el {day} de {month}, cuando se publicarán nuevas "
                "proyecciones económicas.",
                "El economista {p4} considera probable que el banco haga una pausa cuando la inflación haya tocado "
                "techo claramente, quizá a principios del próximo año.",
            ],
            "background": [
                "Los bancos centrales de todo el mundo han subido los tipos al ritmo más rápido en décadas desde que "
                "los precios empezaron a dispararse con la reapertura de las economías tras la pandemia."
            ],
        },
        "de": {
            "headline": [
                "{bank} erhöht Leitzins auf {d1} Prozent",
                "{bank} hebt Zinsen um {q1} Basispunkte an",
                "Inflation von {d2} Prozent zwingt {bank} zu weiterer Zinserhöhung",
            ],
            "lead": [
                "Die {bank} hat am {weekday} ihren Leitzins um {q1} Basispunkte auf {d1} Prozent angehoben, die "
                "{n1}. Erhöhung in Folge, nachdem die Inflation in {a} auf {d2} Prozent gestiegen war."
            ],
            "body": [
                "Notenbankchef {p1} sagte auf einer Pressekonferenz in {x}, die Bank sei zu weiteren Schritten "
                "bereit, falls der Preisdruck in den kommenden Monaten nicht nachlasse.",
                "Die Entscheidung sei von den {n2} Mitgliedern des geldpolitischen Ausschusses einstimmig getroffen "
                "worden, teilte die Bank mit.",
                "Die Bank rechnet nun mit einer durchschnittlichen Inflation von {d3} Prozent in diesem und {d4} "
                "Prozent im nächsten Jahr, über ihrem mittelfristigen Ziel.",
                "Die meisten der {n3} vor der Sitzung befragten Ökonomen hatten mit einer Anhebung um {q2} "
                "Basispunkte gerechnet.",
                "Finanzminister {p2} sagte, die Regierung werde Haushalte, die unter steigenden Lebensmittel- und "
                "Energiepreisen leiden, weiter unterstützen.",
                "Die Landeswährung legte nach der Ankündigung um {d4} Prozent gegenüber dem Dollar zu, der wichtigste "
                "Aktienindex gab um {d3} Prozent nach.",
                "Wirtschaftsverbände warnten, höhere Finanzierungskosten würden die Investitionen belasten; {p3}, "
                "Präsident der Handelskammer, forderte gezielte Hilfen für kleine Unternehmen.",
                "Die nächste Sitzung des Ausschusses ist für den {day}. {month} geplant, dann sollen neue "
                "Wirtschaftsprognosen veröffentlicht werden.",
                "Der Ökonom {p4} sagte, die Bank werde wahrscheinlich eine Pause einlegen, sobald die Inflation "
                "ihren Höhepunkt klar überschritten habe, möglicherweise Anfang nächsten Jahres.",
            ],
            "background": [
                "Notenbanken weltweit haben die Zinsen so schnell angehoben wie seit Jahrzehnten nicht, seit die "
                "Preise mit der Wiederöffnung der Volkswirtschaften nach der Pandemie zu steigen begannen."
            ],
        },
        "id": {
            "headline": [
                "{bank} naikkan suku bunga acuan menjadi {d1} persen",
                "{bank} naikkan suku bunga {q1} basis poin untuk redam inflasi",
                "Inflasi {d2} persen dorong {bank} kembali naikkan suku bunga",
            ],
            "lead": [
                "{bank} menaikkan suku bunga acuannya sebesar {q1} basis poin menjadi {d1} persen pada hari "
                "{weekday}, kenaikan ke-{n1} berturut-turut, karena inflasi di {a} naik menjadi {d2} persen."
            ],
            "body": [
                "Gubernur {p1} mengatakan dalam konferensi pers di {x} bahwa bank siap bertindak lebih jauh jika "
                "tekanan harga tidak mereda dalam beberapa bulan mendatang.",
                "Keputusan itu diambil secara bulat oleh {n2} anggota komite kebijakan moneter, kata bank dalam "
                "sebuah pernyataan.",
                "Bank kini memperkirakan inflasi rata-rata {d3} persen tahun ini dan {d4} persen tahun depan, di "
                "atas target jangka menengahnya.",
                "Sebagian besar dari {n3} ekonom yang disurvei sebelum rapat memperkirakan kenaikan sebesar {q2} "
                "basis poin.",
                "Menteri keuangan {p2} mengatakan pemerintah akan terus membantu rumah tangga yang terdampak "
                "kenaikan harga pangan dan energi.",
                "Mata uang nasional menguat {d4} persen terhadap dolar setelah pengumuman itu, sementara indeks "
                "saham utama turun {d3} persen.",
                "Kalangan pengusaha memperingatkan bahwa biaya pinjaman yang lebih tinggi akan membebani investasi, "
                "dan {p3}, ketua kamar dagang, meminta bantuan khusus bagi usaha kecil.",
                "Rapat komite berikutnya dijadwalkan pada {day} {month}, ketika proyeksi ekonomi baru akan "
                "diterbitkan.",
                "Ekonom {p4} mengatakan bank kemungkinan akan berhenti sejenak setelah inflasi jelas mencapai "
                "puncaknya, mungkin awal tahun depan.",
            ],
            "background": [
                "Bank-bank sentral di seluruh dunia menaikkan suku bunga dengan laju tercepat dalam beberapa dekade "
                "sejak harga mulai naik ketika perekonomian dibuka kembali setelah pandemi."
            ],
        },
    },
    "fire": {
        "en": {
            "headline": [
                "Wildfire near {x} forces {n1} people to flee",
                "Firefighters battle huge blaze in {A} as heatwave grips region",
                "{A} wildfire destroys {n2} hectares near {x}",
            ],
            "lead": [
                "A wildfire that broke out on {weekday} near {x} in {a} has burned some {n2} hectares and forced "
                "the evacuation of {n1} people from {n3} villages, authorities said."
            ],
            "body": [
                "The fire, believed to have been started by lightning, was spreading southwards towards {y}, pushed "
                "by gusts of up to {n4} kilometres per hour and temperatures above {n5} degrees.",
                "{n6} water-bombing aircraft and more than {n3}00 firefighters were deployed, civil protection chief "
                "{p1} told reporters.",
                "Regional official {p2} called it one of the worst fires in years and urged residents to follow the "
                "instructions of the emergency services.",
                "Evacuees were taken to sports halls in {y}, where the Red Cross was providing food and medical care.",
                "The national weather service kept its highest heat alert in force until {day} {month}, "
                "complicating efforts to contain the flames.",
                "Police said they were investigating whether a second fire that broke out near {y} on {day} {month} "
                "had been started deliberately.",
                "Farmers' union leader {p3} said losses in livestock, timber and beekeeping could exceed {n4} million "
                "euros.",
                "Opposition politician {p4} accused the government of cutting forest-management budgets and "
                "reacting too slowly.",
                "Smoke from the blaze could be seen from {x}, where the air quality index reached hazardous levels "
                "on {weekday}.",
            ],
            "background": [
                "Scientists say climate change is making heatwaves longer and more intense, increasing the risk of "
                "large wildfires across the region every summer."
            ],
        },
        "fr": {
            "headline": [
                "Un incendie près de {x} force {n1} personnes à fuir",
                "Les pompiers luttent contre un gigantesque incendie en {A} sur fond de canicule",
                "En {A}, un incendie détruit {n2} hectares près de {x}",
            ],
            "lead": [
                "Un incendie qui s'est déclaré {weekday} près de {x}, en {A}, a déjà parcouru quelque {n2} hectares "
                "et contraint {n1} personnes de {n3} villages à évacuer, selon les autorités."
            ],
            "body": [
                "Le feu, probablement déclenché par la foudre, progressait vers le sud en direction de {y}, poussé "
                "par des rafales atteignant {n4} kilomètres par heure et des températures supérieures à {n5} degrés.",
                "{n6} avions bombardiers d'eau et plus de {n3}00 pompiers ont été déployés, a indiqué à la presse le "
                "chef de la protection civile {p1}.",
                "Le responsable régional {p2} a évoqué l'un des pires incendies depuis des années et appelé les "
                "habitants à suivre les consignes des services de secours.",
                "Les personnes évacuées ont été conduites dans des gymnases à {y}, où la Croix-Rouge leur fournissait "
                "repas et soins.",
                "Le service météorologique national a maintenu son alerte canicule maximale jusqu'au {day} {month}, "
                "ce qui complique la lutte contre les flammes.",
                "La police a indiqué enquêter pour savoir si un second incendie, déclaré près de {y} le {day} "
                "{month}, avait été volontairement allumé.",
                "Le dirigeant syndical agricole {p3} a estimé que les pertes en bétail, en bois et en apiculture "
                "pourraient dépasser {n4} millions d'euros.",
                "L'opposant {p4} a accusé le gouvernement d'avoir réduit les budgets d'entretien des forêts et "
                "d'avoir réagi trop lentement.",
                "La fumée de l'incendie était visible depuis {x}, où l'indice de qualité de l'air a atteint un "
                "niveau dangereux {weekday}.",
            ],
            "background": [
                "Selon les scientifiques, le changement climatique rend les canicules plus longues et plus intenses, "
                "ce qui accroît chaque été le risque de grands incendies dans la région."
            ],
        },
        "es": {
            "headline": [
                "Un incendio cerca de {x} obliga a huir a {n1} personas",
                "Los bomberos combaten un enorme incendio en {A} en plena ola de calor",
                "Un incendio arrasa {n2} hectáreas cerca de {x}, en {A}",
            ],
            "lead": [
                "Un incendio forestal declarado el {weekday} cerca de {x}, en {a}, ha calcinado unas {n2} hectáreas "
                "y obligado a desalojar a {n1} personas de {n3} localidades, informaron las autoridades."
            ],
            "body": [
                "El fuego, que se cree que fue provocado por un rayo, avanzaba hacia el sur en dirección a {y}, "
                "empujado por rachas de hasta {n4} kilómetros por hora y temperaturas superiores a los {n5} grados.",
                "{n6} aviones anfibios y más de {n3}00 bomberos fueron desplegados, dijo a los periodistas el jefe de "
                "protección civil, {p1}.",
                "El responsable regional {p2} lo calificó como uno de los peores incendios de los últimos años y "
                "pidió a los vecinos que sigan las indicaciones de los servicios de emergencia.",
                "Los desalojados fueron trasladados a pabellones deportivos de {y}, donde Cruz Roja les proporcionaba "
                "comida y atención sanitaria.",
                "El servicio meteorológico nacional mantuvo su alerta máxima por calor hasta el {day} de {month}, lo "
                "que complica la extinción de las llamas.",
                "La policía investiga si un segundo incendio declarado cerca de {y} el {day} de {month} fue "
                "provocado intencionadamente.",
                "El dirigente del sindicato agrario {p3} calculó que las pérdidas en ganadería, madera y apicultura "
                "podrían superar los {n4} millones de euros.",
                "El político opositor {p4} acusó al gobierno de recortar los presupuestos de gestión forestal y de "
                "reaccionar con demasiada lentitud.",
                "El humo del incendio podía verse desde {x}, donde el índice de calidad del aire alcanzó niveles "
                "peligrosos el {weekday}.",
            ],
            "background": [
                "Los científicos afirman que el cambio climático hace que las olas de calor sean más largas e "
                "intensas, lo que aumenta cada verano el riesgo de grandes incendios en la región."
            ],
        },
        "de": {
            "headline": [
                "Waldbrand bei {x} zwingt {n1} Menschen zur Flucht",
                "Feuerwehr kämpft in {A} gegen riesigen Brand während Hitzewelle",
                "Waldbrand in {A} vernichtet {n2} Hektar bei {x}",
            ],
            "lead": [
                "Ein am {weekday} ausgebrochener Waldbrand nahe {x} in {a} hat nach Angaben der Behörden rund {n2} "
                "Hektar erfasst und die Evakuierung von {n1} Menschen aus {n3} Dörfern erzwungen."
            ],
            "body": [
                "Das vermutlich durch einen Blitz ausgelöste Feuer breitete sich nach Süden in Richtung {y} aus, "
                "angefacht von Böen mit bis zu {n4} Kilometern pro Stunde und Temperaturen über {n5} Grad.",
                "{n6} Löschflugzeuge und mehr als {n3}00 Feuerwehrleute seien im Einsatz, sagte Zivilschutzchef "
                "{p1} vor Journalisten.",
                "Der regionale Verantwortliche {p2} sprach von einem der schlimmsten Brände seit Jahren und rief die "
                "Bewohner auf, den Anweisungen der Rettungskräfte zu folgen.",
                "Die Evakuierten wurden in Sporthallen in {y} gebracht, wo das Rote Kreuz sie mit Essen und "
                "medizinischer Hilfe versorgte.",
                "Der nationale Wetterdienst hielt seine höchste Hitzewarnung bis zum {day}. {month} aufrecht, was "
                "die Löscharbeiten erschwert.",
                "Die Polizei ermittelt, ob ein zweites Feuer, das am {day}. {month} nahe {y} ausbrach, vorsätzlich "
                "gelegt wurde.",
                "Bauernverbandschef {p3} sagte, die Verluste bei Vieh, Holz und Imkerei könnten {n4} Millionen Euro "
                "übersteigen.",
                "Der Oppositionspolitiker {p4} warf der Regierung vor, die Mittel für die Waldpflege gekürzt und zu "
                "langsam reagiert zu haben.",
                "Der Rauch des Brandes war bis {x} zu sehen, wo der Luftqualitätsindex am {weekday} gefährliche "
                "Werte erreichte.",
            ],
            "background": [
                "Wissenschaftler zufolge macht der Klimawandel Hitzewellen länger und heftiger, was jeden Sommer das "
                "Risiko großer Waldbrände in der Region erhöht."
            ],
        },
        "id": {
            "headline": [
                "Kebakaran hutan dekat {x} paksa {n1} orang mengungsi",
                "Petugas pemadam berjuang padamkan kebakaran besar di {A} di tengah gelombang panas",
                "Kebakaran di {A} hanguskan {n2} hektare dekat {x}",
            ],
            "lead": [
                "Kebakaran hutan yang terjadi pada hari {weekday} di dekat {x}, {a}, telah menghanguskan sekitar {n2} "
                "hektare dan memaksa {n1} orang dari {n3} desa mengungsi, kata pihak berwenang."
            ],
            "body": [
                "Api yang diduga dipicu sambaran petir itu menjalar ke selatan menuju {y}, didorong embusan angin "
                "hingga {n4} kilometer per jam dan suhu di atas {n5} derajat.",
                "Sebanyak {n6} pesawat pengebom air dan lebih dari {n3}00 petugas pemadam kebakaran dikerahkan, kata "
                "kepala perlindungan sipil {p1} kepada wartawan.",
                "Pejabat daerah {p2} menyebutnya salah satu kebakaran terburuk dalam beberapa tahun dan meminta warga "
                "mengikuti arahan petugas darurat.",
                "Para pengungsi dibawa ke gedung olahraga di {y}, tempat Palang Merah menyediakan makanan dan "
                "perawatan medis.",
                "Badan cuaca nasional mempertahankan peringatan panas tertinggi hingga {day} {month}, sehingga "
                "menyulitkan upaya pemadaman.",
                "Polisi menyelidiki apakah kebakaran kedua yang terjadi di dekat {y} pada {day} {month} sengaja "
                "disulut.",
                "Ketua serikat petani {p3} mengatakan kerugian ternak, kayu, dan peternakan lebah bisa melebihi {n4} "
                "juta euro.",
                "Politikus oposisi {p4} menuduh pemerintah memangkas anggaran pengelolaan hutan dan bereaksi terlalu "
                "lambat.",
                "Asap kebakaran terlihat dari {x}, tempat indeks kualitas udara mencapai tingkat berbahaya pada hari "
                "{weekday}.",
            ],
            "background": [
                "Para ilmuwan mengatakan perubahan iklim membuat gelombang panas lebih lama dan lebih hebat, sehingga "
                "meningkatkan risiko kebakaran besar di kawasan itu setiap musim panas."
            ],
        },
    },
}

_WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday",
    "fr": "lundi mardi mercredi jeudi vendredi",
    "es": "lunes martes miércoles jueves viernes",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag",
    "id": "Senin Selasa Rabu Kamis Jumat",
}
_AGENCIES = {"en": "AFP", "fr": "AFP", "es": "EFE", "de": "dpa", "id": "ANTARA"}
_UPDATE_NOTES = {
    "en": "Updated at {n2}:{n3}0 on {day} {month} to add {what}.",
    "fr": "Mis à jour à {n2}h{n3}0 le {day} {month} pour ajouter {what}.",
    "es": "Actualizado a las {n2}:{n3}0 del {day} de {month} para añadir {what}.",
    "de": "Aktualisiert um {n2}:{n3}0 Uhr am {day}. {month}, um {what} zu ergänzen.",
    "id": "Diperbarui pada pukul {n2}.{n3}0 tanggal {day} {month} untuk menambahkan {what}.",
}
_WHAT = {"en": "new details", "fr": "de nouveaux détails", "es": "nuevos detalles", "de": "neue Details"}
_WHAT["id"] = "rincian baru"
_BOILERPLATE = {
    "en": ["Follow our world coverage for the latest updates.", "This story was published from a wire agency feed."],
    "fr": ["Suivez toute l'actualité internationale sur notre site.", "Avec agence."],
    "es": ["Síguenos en nuestras redes sociales.", "Noticia elaborada con información de agencias."],
    "de": ["Mehr Nachrichten aus aller Welt finden Sie hier.", "Dieser Artikel stammt aus einer Agenturmeldung."],
    "id": ["Baca berita lainnya di kanal internasional kami.", "Artikel ini disadur dari kantor berita."],
}
_EDITS = {
    "en": [("said", "stated"), ("told reporters", "told journalists"), ("at least", "no fewer than")],
    "fr": [("a déclaré", "a affirmé"), ("au moins", "pas moins de"), ("a indiqué", "a précisé")],
    "es": [("dijo", "afirmó"), ("al menos", "como mínimo"), ("informó", "señaló")],
    "de": [("sagte", "erklärte"), ("mindestens", "wenigstens"), ("teilte", "gab")],
    "id": [("mengatakan", "menyatakan"), ("sedikitnya", "setidaknya"), ("kata", "ujar")],
}


@dataclass(frozen=True)
class Story:
    """One rendered story: its title and paragraphs, and the facts it was written from."""

    language: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True)
class Pair:
    label: Label
    kind: str  # revision | duplicate | translation | same-topic | same-topic-other-language
    left: Story
    right: Story
    same_site: bool


@dataclass
class _Facts:
    topic: str
    values: dict[str, object]
    body: list[int]
    headline: int
    background: bool
    extra: list[int] = field(default_factory=list)


def _number(value: int, language: str) -> str:
    grouped = f"{value:,}"
    return grouped if language == "en" else grouped.replace(",", " " if language == "fr" else ".")


def _decimal(value: float, language: str) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.1f}"
    return text if language == "en" else text.replace(".", ",")


def _facts(rng: random.Random, topic: str, actors: tuple[str, str] | None = None) -> _Facts:
    people = rng.sample(PEOPLE, 4)
    places = rng.sample(PLACES, 2)
    if topic == "clash":
        a, b = actors or rng.choice(_RIVALS)
    elif topic == "rates":
        a = actors[0] if actors else rng.choice(sorted(_BANKS))
        b = a
    else:
        a = actors[0] if actors else rng.choice(_FIRES)
        b = a
    values: dict[str, object] = {
        "a": a,
        "b": b,
        "m": rng.choice(_MEDIATORS),
        "bank": _BANKS.get(a, "Bank Indonesia"),
        "x": places[0],
        "y": places[1],
        "year": rng.randint(1992, 2020),
        "big": rng.randint(20, 300) * 100,
        "day": rng.randint(1, 28),
        "month": rng.randint(0, 11),
        "weekday": rng.randint(0, 4),
        "q1": rng.choice([25, 50, 75, 100]),
        "q2": rng.choice([25, 50, 75]),
    }
    for n, person in enumerate(people, 1):
        values[f"p{n}"] = person
    for n in range(1, 7):
        values[f"n{n}"] = rng.randint(11, 999) if n != 2 else rng.randint(1, 23)
    values["n3"] = rng.randint(2, 9)
    for n in range(1, 5):
        values[f"d{n}"] = round(rng.uniform(0.5, 14.0), rng.choice([1, 2]))
    templates = _TOPICS[topic]["en"]
    count = rng.randint(5, 8)
    body = rng.sample(range(len(templates["body"])), count)
    values["lead"] = rng.randrange(len(templates["lead"]))
    values["wording"] = rng.randrange(2**31)
    return _Facts(topic, values, body, rng.randrange(len(templates["headline"])), rng.random() < 0.7)


def render(facts: _Facts, language: str, *, extra: list[int] | None = None, dateline: str | None = None) -> Story:
    templates = _TOPICS[facts.topic][language]
    index = LANGUAGES.index(language)
    v = facts.values
    slots: dict[str, str] = {}
    for key, value in v.items():
        if isinstance(value, float):
            slots[key] = _decimal(value, language)
        elif isinstance(value, int):
            slots[key] = _number(value, language)
        else:
            slots[key] = str(value)
    for key in ("a", "b", "m"):
        localized = _COUNTRIES[str(v[key])][index]
        slots[key] = localized
        bare = localized.split("'")[-1].split(" ")[-1] if language in ("fr", "de") else localized
        slots[key.upper()] = bare[0].upper() + bare[1:]
    slots["month"] = _MONTHS[language].split()[int(str(v["month"]))]
    slots["weekday"] = _WEEKDAYS[language].split()[int(str(v["weekday"]))]
    slots["day"] = str(v["day"])
    slots["year"] = str(v["year"])
    slots["q1"], slots["q2"] = str(v["q1"]), str(v["q2"])
    title = templates["headline"][facts.headline].format(**slots)
    lead = templates["lead"][int(str(v["lead"]))].format(**slots)
    city = str(v["x"]).upper()
    agency = _AGENCIES[language]
    lead = (dateline or f"{city} ({agency}) - ") + lead[0].upper() + lead[1:]
    paragraphs = [lead] + [templates["body"][n].format(**slots) for n in facts.body + (extra or [])]
    if facts.background:
        paragraphs.append(templates["background"][0].format(**slots))
    paragraphs = _worded(paragraphs, language, int(str(v["wording"])))
    if language == "fr":  # "de le Pakistan" is written "du Pakistan"
        paragraphs = [p.replace(" de le ", " du ").replace(" à le ", " au ") for p in paragraphs]
    return Story(language, title, tuple(paragraphs))


def _revision(rng: random.Random, facts: _Facts, language: str) -> Story:
    """The same site's update: 1-3 paragraphs added, a figure changed, a new headline often, a note sometimes."""
    unused = [n for n in range(len(_TOPICS[facts.topic]["en"]["body"])) if n not in facts.body]
    added = rng.sample(unused, min(len(unused), rng.randint(1, 3)))
    updated = _Facts(facts.topic, dict(facts.values), list(facts.body), facts.headline, facts.background)
    if rng.random() < 0.5:
        updated.values["n1"] = int(str(facts.values["n1"])) + rng.randint(3, 40)
    if rng.random() < 0.6:
        updated.headline = (facts.headline + 1) % len(_TOPICS[facts.topic]["en"]["headline"])
    # New paragraphs go in after the lead or at the end, as editors add them.
    at = rng.randint(0, len(updated.body))
    story = render(updated, language)
    paragraphs = list(story.paragraphs)
    insert = [p for p in render(updated, language, extra=added).paragraphs if p not in paragraphs]
    paragraphs[at + 1 : at + 1] = insert
    if rng.random() < 0.5:
        note = _UPDATE_NOTES[language].format(
            n2=rng.randint(8, 20),
            n3=rng.randint(0, 5),
            day=updated.values["day"],
            what=_WHAT[language],
            month=_MONTHS[language].split()[int(str(updated.values["month"]))],
        )
        paragraphs = [note, *paragraphs] if rng.random() < 0.5 else [*paragraphs, note]
    return Story(language, story.title, tuple(paragraphs))


def _copy(rng: random.Random, facts: _Facts, language: str) -> Story:
    """Another site's copy: own headline and dateline, a paragraph cut (often), a few words changed, boilerplate."""
    copied = _Facts(facts.topic, dict(facts.values), list(facts.body), facts.headline, facts.background)
    if len(copied.body) >= 5 and rng.random() < 0.7:
        del copied.body[rng.randrange(1, len(copied.body))]
    copied.headline = (facts.headline + rng.randint(1, 2)) % len(_TOPICS[facts.topic]["en"]["headline"])
    agency = _AGENCIES[language]
    dateline = f"{str(facts.values['x']).title()}, {facts.values['day']} ({agency}) — "
    story = render(copied, language, dateline=dateline)
    paragraphs = list(story.paragraphs)
    for _ in range(rng.randint(0, 2)):
        old, new = rng.choice(_EDITS[language])
        n = rng.randrange(len(paragraphs))
        paragraphs[n] = paragraphs[n].replace(old, new, 1)
    paragraphs += rng.sample(_BOILERPLATE[language], rng.randint(1, 2))
    title = story.title if rng.random() < 0.3 else f"{story.title} - {rng.choice(['report', 'live', 'update'])}"
    return Story(language, title, tuple(paragraphs))


def pairs(count_per_kind: int = 240, seed: int = 2022) -> list[Pair]:
    """Labelled pairs: `count_per_kind` of each kind (revision, duplicate, translation, two kinds of negatives)."""
    rng = random.Random(seed)
    result: list[Pair] = []
    topics = sorted(_TOPICS)
    for n in range(count_per_kind):
        topic = topics[n % len(topics)]
        language = LANGUAGES[n % len(LANGUAGES)]
        other = LANGUAGES[(n + 1 + n // len(LANGUAGES)) % len(LANGUAGES)]
        if other == language:
            other = LANGUAGES[(LANGUAGES.index(language) + 1) % len(LANGUAGES)]
        facts = _facts(rng, topic)
        left = render(facts, language)
        result.append(Pair("revision", "revision", left, _revision(rng, facts, language), True))
        facts = _facts(rng, topic)
        left = render(facts, language)
        result.append(Pair("duplicate", "duplicate", left, _copy(rng, facts, language), False))
        facts = _facts(rng, topic)
        result.append(Pair("translation", "translation", render(facts, language), render(facts, other), False))
        # Same topic, same actors, another story: the hard negatives.
        facts = _facts(rng, topic)
        actors = (str(facts.values["a"]), str(facts.values["b"]))
        sibling = _facts(rng, topic, actors)
        sibling.values["x"] = facts.values["x"]  # the same place: the background paragraph is shared verbatim
        sibling.values["year"], sibling.values["big"] = facts.values["year"], facts.values["big"]
        for shared in ("m", "lead", "wording"):
            sibling.values[shared] = facts.values[shared]
        sibling.background = facts.background = True
        same_site = rng.random() < 0.5
        result.append(Pair("different", "same-topic", render(facts, language), render(sibling, language), same_site))
        result.append(
            Pair("different", "same-topic-other-language", render(facts, language), render(sibling, other), False)
        )
    return result


def background_stories(count: int, seed: int = 7) -> list[Story]:
    """Unrelated stories that fill the index around the pairs, as a live index is full of other news."""
    rng = random.Random(seed)
    topics = sorted(_TOPICS)
    return [render(_facts(rng, topics[n % len(topics)]), LANGUAGES[n % len(LANGUAGES)]) for n in range(count)]


# More ways to tell each kind of story: two stories of one kind share some of their sentence frames, as two wire
# stories on one topic do, but not most of them.
_MORE: dict[str, dict[str, dict[str, list[str]]]] = {
    "clash": {
        "en": {
            "lead": [
                "At least {n1} soldiers were killed overnight as troops from {a} and {b} exchanged artillery fire "
                "around {x}, the worst fighting between the two since {year}, officials said on {weekday}.",
                "Heavy fighting broke out on the border between {a} and {b} on {weekday}, with each side accusing "
                "the other of attacking first and {p1} putting the death toll at {n1}.",
            ],
            "body": [
                "Drone footage released by the army of {a} appeared to show armoured vehicles burning on a hillside "
                "outside {y}.",
                "Schools in {n6} districts along the frontier were closed until further notice and mobile internet "
                "was cut in several villages.",
                "Oil prices edged higher as traders weighed the risk of a wider conflict near a pipeline that runs "
                "a few kilometres from {x}.",
                "{p3} said a monitoring mission could be sent to the area within days if both governments agreed.",
                "Hospitals in {y} were treating {n4} injured people, many of them with shrapnel wounds, according "
                "to the regional health department.",
                "Parliament in {a} met behind closed doors on {weekday} evening and approved the call-up of {n5} "
                "reservists.",
                "The defence ministry of {b} published a list of {n6} villages it said had come under fire, and "
                "said it would respond to any new provocation.",
                "Aid groups warned that thousands of families were sleeping outdoors in freezing temperatures after "
                "fleeing their homes near {x}.",
                "Leaders of {m} offered to host talks between the two foreign ministers, {p2} and {p4}, on {day} "
                "{month}.",
            ],
        },
        "fr": {
            "lead": [
                "Au moins {n1} soldats ont été tués dans la nuit lors d'échanges de tirs d'artillerie entre les "
                "troupes de {a} et de {b} autour de {x}, les pires combats depuis {year}, ont annoncé {weekday} des "
                "responsables.",
                "De violents combats ont éclaté {weekday} à la frontière entre {a} et {b}, chaque camp accusant "
                "l'autre d'avoir attaqué le premier, et {p1} a fait état de {n1} morts.",
            ],
            "body": [
                "Des images de drone diffusées par l'armée de {a} semblent montrer des blindés en feu sur une "
                "colline aux abords de {y}.",
                "Les écoles de {n6} districts proches de la frontière ont été fermées jusqu'à nouvel ordre et "
                "l'internet mobile a été coupé dans plusieurs villages.",
                "Les cours du pétrole ont légèrement progressé, les opérateurs redoutant un conflit plus large près "
                "d'un oléoduc qui passe à quelques kilomètres de {x}.",
                "{p3} a indiqué qu'une mission d'observation pourrait être envoyée dans la zone d'ici quelques jours "
                "si les deux gouvernements l'acceptaient.",
                "Les hôpitaux de {y} soignaient {n4} blessés, dont beaucoup touchés par des éclats d'obus, selon le "
                "département régional de la santé.",
                "Le Parlement de {a} s'est réuni à huis clos {weekday} soir et a approuvé la mobilisation de {n5} "
                "réservistes.",
                "Le ministère de la Défense de {b} a publié une liste de {n6} villages qui, selon lui, ont été "
                "visés, et promis de répondre à toute nouvelle provocation.",
                "Des organisations humanitaires ont averti que des milliers de familles dormaient dehors par des "
                "températures glaciales après avoir fui leurs maisons près de {x}.",
                "Les dirigeants de {m} ont proposé d'accueillir le {day} {month} des pourparlers entre les deux "
                "ministres des Affaires étrangères, {p2} et {p4}.",
            ],
        },
        "es": {
            "lead": [
                "Al menos {n1} soldados murieron durante la noche en intercambios de fuego de artillería entre "
                "tropas de {a} y {b} en torno a {x}, los peores combates desde {year}, informaron el {weekday} "
                "fuentes oficiales.",
                "Intensos combates estallaron el {weekday} en la frontera entre {a} y {b}, y cada parte acusó a la "
                "otra de atacar primero, mientras {p1} cifró en {n1} el número de muertos.",
            ],
            "body": [
                "Imágenes de dron difundidas por el ejército de {a} parecían mostrar vehículos blindados ardiendo en "
                "una ladera a las afueras de {y}.",
                "Las escuelas de {n6} distritos próximos a la frontera cerraron hasta nuevo aviso y se cortó el "
                "internet móvil en varias aldeas.",
                "Los precios del petróleo subieron ligeramente ante el riesgo de un conflicto más amplio cerca de un "
                "oleoducto que pasa a pocos kilómetros de {x}.",
                "{p3} dijo que una misión de observación podría enviarse a la zona en cuestión de días si ambos "
                "gobiernos lo aceptaban.",
                "Los hospitales de {y} atendían a {n4} heridos, muchos de ellos por metralla, según el departamento "
                "regional de salud.",
                "El Parlamento de {a} se reunió a puerta cerrada la noche del {weekday} y aprobó la movilización de "
                "{n5} reservistas.",
                "El ministerio de Defensa de {b} publicó una lista de {n6} aldeas que, según dijo, habían sido "
                "atacadas, y advirtió que respondería a cualquier nueva provocación.",
                "Organizaciones humanitarias advirtieron que miles de familias dormían a la intemperie con "
                "temperaturas bajo cero tras huir de sus casas cerca de {x}.",
                "Los dirigentes de {m} se ofrecieron a acoger el {day} de {month} conversaciones entre los dos "
                "ministros de Exteriores, {p2} y {p4}.",
            ],
        },
        "de": {
            "lead": [
                "Bei nächtlichen Artilleriegefechten zwischen Truppen aus {a} und {b} rund um {x} sind nach "
                "Behördenangaben vom {weekday} mindestens {n1} Soldaten getötet worden, die schwersten Kämpfe seit "
                "{year}.",
                "An der Grenze zwischen {a} und {b} sind am {weekday} heftige Kämpfe ausgebrochen; beide Seiten "
                "werfen sich gegenseitig vor, zuerst angegriffen zu haben, {p1} sprach von {n1} Toten.",
            ],
            "body": [
                "Von der Armee in {a} veröffentlichte Drohnenaufnahmen zeigten offenbar brennende Panzerfahrzeuge an "
                "einem Hang außerhalb von {y}.",
                "Die Schulen in {n6} Bezirken entlang der Grenze blieben bis auf Weiteres geschlossen, in mehreren "
                "Dörfern wurde das mobile Internet abgeschaltet.",
                "Der Ölpreis zog leicht an, da Händler das Risiko eines größeren Konflikts nahe einer Pipeline "
                "abwogen, die wenige Kilometer von {x} entfernt verläuft.",
                "{p3} sagte, eine Beobachtermission könne binnen Tagen in das Gebiet entsandt werden, wenn beide "
                "Regierungen zustimmten.",
                "Krankenhäuser in {y} behandelten nach Angaben der regionalen Gesundheitsbehörde {n4} Verletzte, "
                "viele von ihnen mit Splitterwunden.",
                "Das Parlament in {a} tagte am {weekday}abend hinter verschlossenen Türen und billigte die "
                "Einberufung von {n5} Reservisten.",
                "Das Verteidigungsministerium in {b} veröffentlichte eine Liste von {n6} Dörfern, die beschossen "
                "worden seien, und kündigte an, auf jede neue Provokation zu antworten.",
                "Hilfsorganisationen warnten, Tausende Familien schliefen nach ihrer Flucht aus Häusern nahe {x} bei "
                "eisigen Temperaturen im Freien.",
                "Die Führung in {m} bot an, am {day}. {month} Gespräche zwischen den beiden Außenministern {p2} und "
                "{p4} auszurichten.",
            ],
        },
        "id": {
            "lead": [
                "Sedikitnya {n1} tentara tewas semalam dalam baku tembak artileri antara pasukan {a} dan {b} di "
                "sekitar {x}, pertempuran terburuk sejak {year}, kata para pejabat pada hari {weekday}.",
                "Pertempuran sengit pecah di perbatasan {a} dan {b} pada hari {weekday}, dengan masing-masing pihak "
                "menuduh pihak lain menyerang lebih dulu, dan {p1} menyebut {n1} orang tewas.",
            ],
            "body": [
                "Rekaman drone yang dirilis militer {a} tampak memperlihatkan kendaraan lapis baja terbakar di "
                "lereng bukit di luar {y}.",
                "Sekolah-sekolah di {n6} distrik di sepanjang perbatasan ditutup hingga pemberitahuan lebih lanjut "
                "dan internet seluler diputus di beberapa desa.",
                "Harga minyak naik tipis karena pedagang menimbang risiko konflik yang lebih luas di dekat jalur pipa "
                "yang melintas beberapa kilometer dari {x}.",
                "{p3} mengatakan misi pemantau dapat dikirim ke wilayah itu dalam beberapa hari jika kedua "
                "pemerintah setuju.",
                "Rumah sakit di {y} merawat {n4} korban luka, banyak di antaranya terkena serpihan peluru, menurut "
                "dinas kesehatan daerah.",
                "Parlemen {a} bersidang secara tertutup pada hari {weekday} malam dan menyetujui pemanggilan {n5} "
                "tentara cadangan.",
                "Kementerian pertahanan {b} menerbitkan daftar {n6} desa yang menurutnya diserang, dan mengatakan "
                "akan membalas setiap provokasi baru.",
                "Lembaga bantuan memperingatkan bahwa ribuan keluarga tidur di luar rumah dalam suhu membeku setelah "
                "melarikan diri dari rumah mereka di dekat {x}.",
                "Para pemimpin {m} menawarkan diri menjadi tuan rumah pembicaraan antara kedua menteri luar negeri, "
                "{p2} dan {p4}, pada {day} {month}.",
            ],
        },
    },
    "rates": {
        "en": {
            "lead": [
                "Policymakers at the {bank} lifted borrowing costs for a {n1}th straight meeting on {weekday}, taking "
                "the key rate to {d1} percent after consumer prices rose {d2} percent from a year earlier.",
                "{a}'s central bank surprised markets on {weekday} with a {q1} basis point hike that brought its "
                "policy rate to {d1} percent, citing inflation of {d2} percent.",
            ],
            "body": [
                "Mortgage lenders said they would pass the increase on to customers within days, adding about {n5} "
                "to the monthly cost of an average home loan.",
                "Core inflation, which strips out volatile food and fuel prices, eased slightly to {d3} percent in "
                "the latest data, the statistics office said.",
                "The bank's statement dropped a reference to further tightening, which some analysts read as a sign "
                "that the cycle was nearing its end.",
                "{p1} said the strength of the labour market, with unemployment at {d4} percent, gave the bank room "
                "to keep policy tight.",
                "Government bond yields rose after the decision, with the ten-year yield climbing to {d3} percent, "
                "its highest level since {year}.",
                "Retailers reported that sales volumes fell for a {n6}th consecutive month as households cut back on "
                "spending.",
                "The International Monetary Fund last month urged the bank to stay the course until inflation was "
                "firmly on its way back to target.",
                "Two members of the committee, {p3} and {p4}, had argued for a smaller move, according to minutes "
                "published on {day} {month}.",
                "Exporters welcomed the stronger currency's effect on import costs but warned that it would hurt "
                "their competitiveness abroad.",
            ],
        },
        "fr": {
            "lead": [
                "Les responsables de la {bank} ont relevé {weekday} le coût du crédit pour la {n1}e réunion "
                "consécutive, portant le taux directeur à {d1} %, après une hausse des prix à la consommation de "
                "{d2} % sur un an.",
                "La banque centrale de {A} a surpris les marchés {weekday} avec une hausse de {q1} points de base "
                "qui porte son taux directeur à {d1} %, invoquant une inflation de {d2} %.",
            ],
            "body": [
                "Les prêteurs immobiliers ont annoncé qu'ils répercuteraient la hausse sur leurs clients d'ici "
                "quelques jours, soit environ {n5} de plus par mois pour un prêt moyen.",
                "L'inflation sous-jacente, qui exclut les prix volatils de l'alimentation et des carburants, a "
                "légèrement reflué à {d3} % selon les dernières données de l'office statistique.",
                "Le communiqué de la banque ne mentionne plus de nouveau resserrement, ce que certains analystes "
                "interprètent comme le signe que le cycle touche à sa fin.",
                "{p1} a estimé que la vigueur du marché du travail, avec un chômage de {d4} %, laissait à la banque "
                "la marge de maintenir une politique restrictive.",
                "Les rendements des obligations d'État ont progressé après la décision, le taux à dix ans montant à "
                "{d3} %, son plus haut niveau depuis {year}.",
                "Les commerçants ont fait état d'un {n6}e mois consécutif de baisse des volumes de ventes, les "
                "ménages réduisant leurs dépenses.",
                "Le Fonds monétaire international avait exhorté le mois dernier la banque à garder le cap jusqu'à ce "
                "que l'inflation revienne durablement vers sa cible.",
                "Deux membres du comité, {p3} et {p4}, avaient plaidé pour une hausse plus modeste, selon le "
                "compte rendu publié le {day} {month}.",
                "Les exportateurs ont salué l'effet d'une monnaie plus forte sur le coût des importations, tout en "
                "prévenant qu'elle pèserait sur leur compétitivité à l'étranger.",
            ],
        },
        "es": {
            "lead": [
                "Los responsables del {bank} encarecieron el crédito por {n1}ª reunión consecutiva el {weekday}, "
                "con lo que la tasa clave quedó en el {d1} %, después de que los precios al consumo subieran un "
                "{d2} % interanual.",
                "El banco central de {a} sorprendió a los mercados el {weekday} con una subida de {q1} puntos básicos "
                "que llevó su tasa de referencia al {d1} %, por una inflación del {d2} %.",
            ],
            "body": [
                "Las entidades hipotecarias dijeron que trasladarán la subida a sus clientes en cuestión de días, lo "
                "que añadirá unos {n5} a la cuota mensual de un préstamo medio.",
                "La inflación subyacente, que excluye los volátiles precios de los alimentos y los carburantes, se "
                "moderó ligeramente al {d3} % en los últimos datos, según la oficina de estadística.",
                "El comunicado del banco eliminó la referencia a nuevos endurecimientos, lo que algunos analistas "
                "interpretaron como una señal de que el ciclo se acerca a su fin.",
                "{p1} afirmó que la fortaleza del mercado laboral, con un desempleo del {d4} %, daba margen al banco "
                "para mantener una política restrictiva.",
                "La rentabilidad de los bonos del Estado subió tras la decisión y la del bono a diez años escaló al "
                "{d3} %, su nivel más alto desde {year}.",
                "Los comerciantes informaron de que el volumen de ventas cayó por {n6}º mes consecutivo porque los "
                "hogares recortan el gasto.",
                "El Fondo Monetario Internacional instó el mes pasado al banco a mantener el rumbo hasta que la "
                "inflación vuelva con firmeza hacia el objetivo.",
                "Dos miembros del comité, {p3} y {p4}, defendieron una subida menor, según las actas publicadas el "
                "{day} de {month}.",
                "Los exportadores celebraron el efecto de una moneda más fuerte en el coste de las importaciones, "
                "pero advirtieron de que restará competitividad en el exterior.",
            ],
        },
        "de": {
            "lead": [
                "Die Währungshüter der {bank} haben am {weekday} zum {n1}. Mal in Folge die Finanzierungskosten "
                "erhöht und den Leitzins auf {d1} Prozent gesetzt, nachdem die Verbraucherpreise binnen Jahresfrist "
                "um {d2} Prozent gestiegen waren.",
                "Die Zentralbank von {a} hat die Märkte am {weekday} mit einer Anhebung um {q1} Basispunkte "
                "überrascht, der Leitzins liegt nun bei {d1} Prozent, begründet mit einer Inflation von {d2} "
                "Prozent.",
            ],
            "body": [
                "Hypothekenbanken kündigten an, die Erhöhung binnen Tagen an ihre Kunden weiterzugeben, was die "
                "Monatsrate eines durchschnittlichen Immobilienkredits um etwa {n5} verteuert.",
                "Die Kerninflation ohne die schwankungsanfälligen Preise für Lebensmittel und Kraftstoffe ging nach "
                "jüngsten Daten des Statistikamts leicht auf {d3} Prozent zurück.",
                "In der Erklärung der Bank fehlte ein Hinweis auf weitere Straffungen, was einige Analysten als "
                "Zeichen für ein nahendes Ende des Zyklus werteten.",
                "{p1} sagte, der robuste Arbeitsmarkt mit einer Arbeitslosenquote von {d4} Prozent gebe der Bank "
                "Spielraum für eine straffe Geldpolitik.",
                "Die Renditen von Staatsanleihen stiegen nach der Entscheidung, die zehnjährige Rendite kletterte "
                "auf {d3} Prozent und damit den höchsten Stand seit {year}.",
                "Der Einzelhandel meldete den {n6}. Monat in Folge sinkende Absatzmengen, weil die Haushalte ihre "
                "Ausgaben kürzen.",
                "Der Internationale Währungsfonds hatte die Bank im vergangenen Monat aufgefordert, Kurs zu halten, "
                "bis die Inflation klar auf dem Weg zum Ziel sei.",
                "Zwei Ausschussmitglieder, {p3} und {p4}, hatten laut dem am {day}. {month} veröffentlichten "
                "Protokoll für einen kleineren Schritt plädiert.",
                "Exporteure begrüßten die Wirkung der stärkeren Währung auf die Importkosten, warnten aber vor "
                "Nachteilen für ihre Wettbewerbsfähigkeit im Ausland.",
            ],
        },
        "id": {
            "lead": [
                "Para pembuat kebijakan {bank} kembali menaikkan biaya pinjaman untuk rapat ke-{n1} berturut-turut "
                "pada hari {weekday}, sehingga suku bunga acuan menjadi {d1} persen setelah harga konsumen naik {d2} "
                "persen dibanding tahun lalu.",
                "Bank sentral {a} mengejutkan pasar pada hari {weekday} dengan kenaikan {q1} basis poin yang membawa "
                "suku bunga kebijakannya ke {d1} persen, dengan alasan inflasi {d2} persen.",
            ],
            "body": [
                "Para pemberi kredit perumahan mengatakan akan meneruskan kenaikan itu kepada nasabah dalam beberapa "
                "hari, menambah sekitar {n5} pada cicilan bulanan rata-rata.",
                "Inflasi inti, yang tidak memasukkan harga pangan dan bahan bakar yang bergejolak, sedikit melandai "
                "menjadi {d3} persen dalam data terbaru, kata badan statistik.",
                "Pernyataan bank tidak lagi menyebut pengetatan lanjutan, yang oleh sebagian analis dibaca sebagai "
                "tanda bahwa siklus kenaikan hampir berakhir.",
                "{p1} mengatakan kuatnya pasar tenaga kerja, dengan tingkat pengangguran {d4} persen, memberi ruang "
                "bagi bank untuk mempertahankan kebijakan ketat.",
                "Imbal hasil obligasi pemerintah naik setelah keputusan itu, dengan imbal hasil tenor sepuluh tahun "
                "naik ke {d3} persen, tertinggi sejak {year}.",
                "Peritel melaporkan volume penjualan turun selama {n6} bulan berturut-turut karena rumah tangga "
                "mengurangi belanja.",
                "Dana Moneter Internasional bulan lalu mendesak bank untuk tetap pada jalurnya hingga inflasi benar-"
                "benar kembali ke target.",
                "Dua anggota komite, {p3} dan {p4}, mendukung kenaikan yang lebih kecil, menurut risalah yang "
                "diterbitkan pada {day} {month}.",
                "Eksportir menyambut baik dampak mata uang yang lebih kuat terhadap biaya impor, tetapi "
                "memperingatkan bahwa hal itu akan menekan daya saing mereka di luar negeri.",
            ],
        },
    },
    "fire": {
        "en": {
            "lead": [
                "Thousands of firefighters were battling a fast-moving blaze near {x} in {a} on {weekday} after it "
                "tore through {n2} hectares of forest and farmland, officials said.",
                "Residents of {n3} villages near {x} were ordered to leave their homes on {weekday} as a wildfire "
                "fanned by strong winds closed in, with {n1} people already evacuated.",
            ],
            "body": [
                "Television footage showed flames leaping across a motorway near {y} as police turned back cars and "
                "lorries.",
                "A firefighter was seriously injured when his truck was caught by the flames, {p1} said, adding that "
                "{n6} houses had burned down.",
                "The blaze has already consumed more land than all of last year's fires combined, according to the "
                "European forest fire information system.",
                "Power lines were cut to {n5} homes as a precaution and a railway line near {y} was closed.",
                "Neighbouring countries sent {n6} extra planes under the European civil protection mechanism, the "
                "interior ministry said.",
                "Tourists staying in hotels near {x} were moved by bus and boat to safer areas, local media reported.",
                "{p2} told local radio that firefighters had managed to save the old town of {y} overnight.",
                "Meteorologists forecast a slight drop in temperatures from {day} {month}, but said the wind would "
                "remain strong.",
                "Environmental group leader {p4} said the fire had destroyed one of the last old-growth pine "
                "forests in the region.",
            ],
        },
        "fr": {
            "lead": [
                "Des milliers de pompiers luttaient {weekday} contre un incendie se propageant rapidement près de {x}, "
                "en {A}, après qu'il a ravagé {n2} hectares de forêts et de terres agricoles, selon les autorités.",
                "Les habitants de {n3} villages proches de {x} ont reçu l'ordre de quitter leurs maisons {weekday} à "
                "l'approche d'un incendie attisé par des vents violents, {n1} personnes ayant déjà été évacuées.",
            ],
            "body": [
                "Des images de télévision montraient des flammes franchissant une autoroute près de {y}, tandis que "
                "la police faisait rebrousser chemin aux voitures et aux camions.",
                "Un pompier a été grièvement blessé lorsque son camion a été pris par les flammes, a indiqué {p1}, "
                "ajoutant que {n6} maisons avaient brûlé.",
                "L'incendie a déjà détruit plus de surface que l'ensemble des feux de l'an dernier, selon le système "
                "européen d'information sur les feux de forêt.",
                "Le courant a été coupé dans {n5} logements par précaution et une ligne ferroviaire près de {y} a été "
                "fermée.",
                "Les pays voisins ont envoyé {n6} avions supplémentaires dans le cadre du mécanisme européen de "
                "protection civile, a indiqué le ministère de l'Intérieur.",
                "Les touristes séjournant dans des hôtels près de {x} ont été transférés en bus et en bateau vers des "
                "zones plus sûres, selon les médias locaux.",
                "{p2} a déclaré à une radio locale que les pompiers avaient réussi à sauver la vieille ville de {y} "
                "pendant la nuit.",
                "Les météorologues prévoient une légère baisse des températures à partir du {day} {month}, mais le "
                "vent devrait rester fort.",
                "Le responsable écologiste {p4} a déploré la destruction de l'une des dernières pinèdes anciennes de "
                "la région.",
            ],
        },
        "es": {
            "lead": [
                "Miles de bomberos luchaban el {weekday} contra un incendio de rápida propagación cerca de {x}, en "
                "{a}, después de que arrasara {n2} hectáreas de bosque y tierras de cultivo, según las autoridades.",
                "Los vecinos de {n3} localidades próximas a {x} recibieron el {weekday} la orden de abandonar sus "
                "casas ante el avance de un incendio avivado por fuertes vientos, con {n1} personas ya desalojadas.",
            ],
            "body": [
                "Imágenes de televisión mostraban llamas cruzando una autovía cerca de {y} mientras la policía hacía "
                "dar media vuelta a coches y camiones.",
                "Un bombero resultó herido grave cuando su camión quedó atrapado por las llamas, dijo {p1}, quien "
                "añadió que {n6} casas habían ardido.",
                "El incendio ya ha consumido más terreno que todos los fuegos del año pasado juntos, según el sistema "
                "europeo de información sobre incendios forestales.",
                "Se cortó el suministro eléctrico a {n5} viviendas por precaución y se cerró una línea ferroviaria "
                "cerca de {y}.",
                "Los países vecinos enviaron {n6} aviones más a través del mecanismo europeo de protección civil, "
                "informó el ministerio del Interior.",
                "Los turistas alojados en hoteles cerca de {x} fueron trasladados en autobús y en barco a zonas más "
                "seguras, según medios locales.",
                "{p2} dijo a una radio local que los bomberos lograron salvar durante la noche el casco antiguo de "
                "{y}.",
                "Los meteorólogos prevén un ligero descenso de las temperaturas a partir del {day} de {month}, pero "
                "el viento seguirá siendo fuerte.",
                "El dirigente ecologista {p4} lamentó que el fuego haya destruido uno de los últimos pinares "
                "centenarios de la región.",
            ],
        },
        "de": {
            "lead": [
                "Tausende Feuerwehrleute haben am {weekday} nahe {x} in {a} gegen einen sich rasch ausbreitenden "
                "Brand gekämpft, der nach Behördenangaben bereits {n2} Hektar Wald und Ackerland zerstört hat.",
                "Die Bewohner von {n3} Dörfern nahe {x} sind am {weekday} aufgefordert worden, ihre Häuser zu "
                "verlassen, weil ein von starkem Wind angefachter Waldbrand näher rückte; {n1} Menschen wurden "
                "bereits evakuiert.",
            ],
            "body": [
                "Fernsehbilder zeigten Flammen, die bei {y} über eine Autobahn schlugen, während die Polizei Autos und "
                "Lastwagen zurückschickte.",
                "Ein Feuerwehrmann wurde schwer verletzt, als sein Fahrzeug von den Flammen eingeschlossen wurde, "
                "sagte {p1}; {n6} Häuser seien niedergebrannt.",
                "Der Brand hat nach Angaben des europäischen Waldbrand-Informationssystems bereits mehr Fläche "
                "vernichtet als alle Feuer des Vorjahres zusammen.",
                "Vorsorglich wurde {n5} Haushalten der Strom abgestellt, eine Bahnstrecke nahe {y} wurde gesperrt.",
                "Nachbarländer schickten über das EU-Katastrophenschutzverfahren {n6} zusätzliche Flugzeuge, teilte "
                "das Innenministerium mit.",
                "Urlauber in Hotels nahe {x} wurden laut örtlichen Medien mit Bussen und Booten in sicherere Gebiete "
                "gebracht.",
                "{p2} sagte einem örtlichen Radiosender, die Feuerwehr habe die Altstadt von {y} in der Nacht retten "
                "können.",
                "Meteorologen sagen ab dem {day}. {month} etwas niedrigere Temperaturen voraus, der Wind bleibe "
                "jedoch stark.",
                "Umweltschützer {p4} sagte, das Feuer habe einen der letzten alten Kiefernwälder der Region zerstört.",
            ],
        },
        "id": {
            "lead": [
                "Ribuan petugas pemadam kebakaran berjuang pada hari {weekday} melawan kobaran api yang menjalar "
                "cepat di dekat {x}, {a}, setelah menghanguskan {n2} hektare hutan dan lahan pertanian, kata pejabat.",
                "Warga {n3} desa di dekat {x} diperintahkan meninggalkan rumah mereka pada hari {weekday} karena "
                "kebakaran hutan yang dipicu angin kencang semakin dekat, dengan {n1} orang sudah dievakuasi.",
            ],
            "body": [
                "Rekaman televisi memperlihatkan api melompati jalan tol di dekat {y} sementara polisi memutar balik "
                "mobil dan truk.",
                "Seorang petugas pemadam luka parah ketika truknya terjebak api, kata {p1}, seraya menambahkan bahwa "
                "{n6} rumah terbakar habis.",
                "Kebakaran itu telah menghanguskan lahan lebih luas daripada gabungan seluruh kebakaran tahun lalu, "
                "menurut sistem informasi kebakaran hutan Eropa.",
                "Aliran listrik ke {n5} rumah diputus sebagai langkah pencegahan dan jalur kereta di dekat {y} "
                "ditutup.",
                "Negara-negara tetangga mengirim {n6} pesawat tambahan melalui mekanisme perlindungan sipil Eropa, "
                "kata kementerian dalam negeri.",
                "Wisatawan yang menginap di hotel-hotel dekat {x} dipindahkan dengan bus dan kapal ke daerah yang "
                "lebih aman, lapor media setempat.",
                "{p2} mengatakan kepada radio setempat bahwa petugas berhasil menyelamatkan kota tua {y} semalam.",
                "Ahli meteorologi memperkirakan suhu sedikit turun mulai {day} {month}, tetapi angin akan tetap "
                "kencang.",
                "Tokoh lingkungan {p4} mengatakan kebakaran itu telah menghancurkan salah satu hutan pinus tua "
                "terakhir di kawasan itu.",
            ],
        },
    },
}
for _topic, _languages in _MORE.items():
    for _language, _parts in _languages.items():
        for _part, _templates in _parts.items():
            _TOPICS[_topic][_language][_part] = _TOPICS[_topic][_language][_part] + _templates

# Wording: each story draws one variant of each group, as two writers word the same frame differently. A story's
# copies and revisions keep its wording; its hard negative (same topic, same actors) shares it too.
_WORDING: dict[str, list[tuple[str, ...]]] = {
    "en": [
        ("said", "stated", "reported"),
        ("officials", "authorities", "government sources"),
        ("at least", "no fewer than", "a minimum of"),
        ("residents", "locals", "inhabitants"),
        ("percent", "per cent", "pct"),
        ("warned", "cautioned", "stressed"),
        ("told reporters", "told journalists", "told the press"),
        ("the government", "the administration", "the cabinet"),
        ("on both sides", "from both camps", "on either side"),
        ("near", "close to", "outside"),
        ("the bank", "the central bank", "the institution"),
        ("the fire", "the blaze", "the wildfire"),
        ("people", "residents", "civilians"),
        ("after", "following", "in the wake of"),
        ("urged", "called on", "pressed"),
    ],
    "fr": [
        ("a déclaré", "a affirmé", "a indiqué"),
        ("responsables", "autorités", "sources officielles"),
        ("au moins", "pas moins de", "un minimum de"),
        ("habitants", "riverains", "résidents"),
        ("a averti", "a prévenu", "a souligné"),
        ("le gouvernement", "l'exécutif", "les autorités"),
        ("près de", "aux abords de", "non loin de"),
        ("la banque", "la banque centrale", "l'institution"),
        ("l'incendie", "le feu", "le sinistre"),
        ("après", "à la suite de", "au lendemain de"),
        ("selon", "d'après", "aux dires de"),
        ("pourrait", "risquait de", "devrait"),
    ],
    "es": [
        ("dijo", "afirmó", "declaró"),
        ("responsables", "autoridades", "fuentes oficiales"),
        ("al menos", "como mínimo", "por lo menos"),
        ("vecinos", "residentes", "habitantes"),
        ("advirtió", "alertó", "subrayó"),
        ("el gobierno", "el ejecutivo", "las autoridades"),
        ("cerca de", "en las inmediaciones de", "junto a"),
        ("el banco", "el banco central", "la entidad"),
        ("el incendio", "el fuego", "las llamas"),
        ("tras", "después de", "a raíz de"),
        ("según", "de acuerdo con", "conforme a"),
        ("informó", "indicó", "señaló"),
    ],
    "de": [
        ("sagte", "erklärte", "betonte"),
        ("Behörden", "Behördenvertreter", "offizielle Stellen"),
        ("mindestens", "wenigstens", "zumindest"),
        ("Bewohner", "Anwohner", "Einwohner"),
        ("warnten", "mahnten", "gaben zu bedenken"),
        ("die Regierung", "das Kabinett", "die Staatsführung"),
        ("nahe", "unweit von", "in der Nähe von"),
        ("die Bank", "die Notenbank", "das Institut"),
        ("der Brand", "das Feuer", "der Großbrand"),
        ("nach Angaben", "laut Angaben", "nach Darstellung"),
        ("teilte", "gab", "meldete"),
    ],
    "id": [
        ("mengatakan", "menyatakan", "menuturkan"),
        ("pejabat", "pihak berwenang", "otoritas"),
        ("sedikitnya", "setidaknya", "paling sedikit"),
        ("warga", "penduduk", "masyarakat"),
        ("memperingatkan", "mengingatkan", "menegaskan"),
        ("pemerintah", "kabinet", "pihak pemerintah"),
        ("di dekat", "tidak jauh dari", "di sekitar"),
        ("bank", "bank sentral", "lembaga itu"),
        ("kebakaran", "api", "kobaran api"),
        ("setelah", "usai", "menyusul"),
        ("menurut", "berdasarkan keterangan", "sesuai keterangan"),
        ("kata", "ujar", "tutur"),
    ],
}


def _worded(paragraphs: list[str], language: str, wording: int) -> list[str]:
    """The paragraphs in the story's own wording (`wording` seeds one variant per group)."""
    rng = random.Random(wording)
    result = paragraphs
    for group in _WORDING[language]:
        choice = rng.choice(group)
        if choice == group[0]:
            continue
        pattern = re.compile(rf"\b{re.escape(group[0])}\b")
        result = [pattern.sub(choice, p) for p in result]
    return result
