"""A fully annotated seed article (the demo fixture's Bellouan interview), built through the services.

Used for the workspace screenshot: sources linked to canonical sources,
direct and indirect quotes with their cues, claims nested in quotes,
stance evidence inside a quote, relations and stances.
"""
from annotate.models import Entity
from annotate.services import annotating

SEED_EXTERNAL_ID = "003_22f62e28c0ab0abe-1"
TERRORISM = "Morocco's role and approach in counter-terrorism"
COOPERATION = "International cooperation/coordination against ISIS and terrorism"


def annotate_seed_article(layer) -> dict:
    text = layer.article.text
    project = layer.article.project
    cursor = {"at": 0}

    def span(label, fragment, *, after=None, entity=None, **attributes):
        start = text.index(fragment, text.index(after) if after else 0)
        made = annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                                   end=start + len(fragment), entity=entity, attributes=attributes or None)
        cursor["at"] = made.end
        return made

    def relate(kind, source, target):
        annotating.add_relation(annotation=layer, expected_version=layer.version, type=kind, from_span=source,
                                to_span=target)

    def entity(name, kind, description):
        return Entity.objects.get_or_create(project=project, name=name,
                                            defaults={"type": kind, "description": description})[0]

    bourita = entity("Nasser Bourita", "person", "Moroccan Foreign Minister")
    blinken = entity("Antony Blinken", "person", "US Secretary of State")
    bellouan = entity("Hassan Bellouan", "person", "expert in international relations, Moroccan political analyst")

    claim_role = span("CLAIM", "The Kingdom of Morocco reaffirms its leading role in the fight against terrorism and "
                               "extremism", check_worthy=True, claim_type="opinion")
    span("SOURCE", "Moroccan Foreign Minister Nasser Bourita", entity=bourita)
    span("SOURCE", "Antony Blinken", entity=blinken)
    span("CLAIM", "the participation of representatives of more than 80 countries and international organizations",
         check_worthy=True, claim_type="factual")

    hassan = span("SOURCE", "Hassan Bellouan", entity=bellouan)
    said = span("CUE", "said", after="political analyst,")
    place = span("QUOTE", "the meeting of the International Coalition to Combat ISIS in Marrakesh comes in view of "
                          "Morocco’s place in the fight against extremism and terrorism in all its forms",
                 quote_type="indirect")
    place_claim = span("CLAIM", "Morocco’s place in the fight against extremism and terrorism",
                       check_worthy=False, claim_type="opinion")

    added_by = span("SOURCE", "Bellouan", after="terrorism in all its forms", entity=bellouan)
    added = span("CUE", "added", after="terrorism in all its forms")
    position = span("QUOTE", "“this position is embodied by the Moroccan institutions that are making great efforts "
                             "to fight terrorism through several approaches”", quote_type="direct")
    efforts = span("STANCE_EVIDENCE", "making great efforts to fight terrorism")

    speaker = span("SOURCE", "the same speaker", entity=bellouan)
    acclaim = span("QUOTE", "The comprehensive approach of Morocco has received numerous international acclaim, "
                            "especially from the United States, Britain and the European Union",
                   quote_type="indirect")
    acclaim_by = span("SOURCE", "Bellouan", after="European Union", entity=bellouan)
    acclaim_cue = span("CUE", "said", after="European Union, Bellouan")
    partner = span("QUOTE", "“The Kingdom of Morocco is an important and strategic partner in the eradication of "
                            "extremist ideology, both in the Middle East and in the Sahel-Sahara region”",
                   quote_type="direct")
    partner_claim = span("CLAIM", "an important and strategic partner in the eradication of extremist ideology",
                         after="“The Kingdom", check_worthy=True, claim_type="opinion")
    analyst = span("SOURCE", "the political analyst", after="Sahel-Sahara region”", entity=bellouan)
    partner_cue = span("CUE", "said", after="Sahel-Sahara region”, the political analyst")

    for quote, source, cue in [(place, hassan, said), (position, added_by, added), (acclaim, acclaim_by, acclaim_cue),
                               (partner, analyst, partner_cue)]:
        relate("ATTRIBUTED_TO", quote, source)
        relate("CUE_OF", cue, quote)
    relate("CLAIMED_BY", place_claim, hassan)
    relate("CLAIMED_BY", partner_claim, analyst)

    annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=added_by, target=TERRORISM,
                          polarity="favor", explicit=True, evidence=[efforts, position])
    annotating.add_stance(annotation=layer, expected_version=layer.version, holder_entity=bellouan,
                          target=COOPERATION, polarity="favor", explicit=False, evidence=[partner])
    annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=speaker, target=TERRORISM,
                          polarity="favor", explicit=True, evidence=[acclaim])
    return {"selected": position, "claim": claim_role, "speaker": speaker}
