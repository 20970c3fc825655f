"""The words the attribution recommender (attribution.py) looks for, in English, French and Arabic.

Everything here is compiled once, at import: the recommender runs these patterns over every article.
"""
import re

# Opening mark -> the closing marks that may end it. “ closes „ (German, Polish); " and ' close themselves.
OPENERS = {"“": "”", "„": "“”", "«": "»", "‹": "›", "‘": "’", '"': '"'}
QUOTE_MARKS = re.compile(r"[“”„«»‹›‘’\"]")

# Cues, by what they tell about where the speaker and the reported words are:
# verb: "X said", "said X", "X a déclaré", "a déclaré X", "وقال X"; the speaker next to it.
# part: a participle continuing a sentence that already has a speaker ("…, adding that …").
# acc: "according to X", "selon X", "وفقا لـX": the speaker follows, the words are the rest of the sentence.
# weak: only before a direct quote ("called the strike “…”"); too common a verb to start a reported clause.
_EN_VERBS = (
    r"said|says|say|added|adds|stressed|stresses|noted|explained|explains|warned|warns|insisted|insists"
    r"|declared|declares|affirmed|affirms|underlined|underlines|underscored|pointed\s+out|points\s+out"
    r"|announced|argued|argues|confirmed|acknowledged|asserted|emphasi[sz]ed|observed|remarked|replied"
    r"|recalled|wrote|asked|cautioned|conceded|told(?:\s+(?:reporters|journalists|the\s+press))?|tells"
)
_EN_PART = r"adding|noting|stressing|insisting|warning|saying|explaining|arguing|pointing\s+out|underlining"
_FR_PARTICIPLES = (
    r"déclaré|dit|ajouté|souligné|affirmé|indiqué|expliqué|estimé|assuré|averti|insisté|rappelé|précisé"
    r"|martelé|annoncé|confirmé|reconnu|répondu|prévenu|poursuivi|relevé|fait\s+savoir"
)
_FR_PRESENT = r"déclare|affirme|souligne|estime|indique|explique|ajoute|assure|précise|rappelle|insiste|martèle"
_FR_PRONOUNS = r"il|elle|ils|elles|on"
_AR_STEMS = r"قال|أضاف|أكد|أوضح|صرح|أشار|شدد|أعلن|اعتبر|تابع|لفت|يقول|تقول"
_AR_PART = r"مضيفا|مضيفة|مؤكدا|مؤكدة|مشيرا|مشيرة|موضحا|موضحة|معتبرا|معتبرة"

CUES = re.compile(
    # Arabic "وفقا لـ" ends in a letter joined to the speaker's first word: no word boundary after it.
    r"(?P<acc>(?<!\w)(?:according\s+to|selon|d['’]après|(?:و|ب|وب)?حسب(?!\w)|و?(?:وفق|طبق)[اًا]+\s+لـ?))"
    rf"|(?<![\w-])(?:(?P<part>{_EN_PART}|ajoutant|soulignant|estimant|précisant|expliquant|affirmant|{_AR_PART})"
    r"|(?P<weak>called|described)"
    # French inversion: "a-t-il déclaré", "estime-t-elle": the pronoun is the speaker, inside the cue.
    rf"|(?:a|ont|avait)-t?-(?P<fpron>{_FR_PRONOUNS})\s+(?:{_FR_PARTICIPLES})"
    rf"|(?:{_FR_PRESENT})-t-(?P<fpron2>{_FR_PRONOUNS})"
    rf"|(?P<verb>{_EN_VERBS}|(?:a|ont|avait|avaient|aurait)\s+(?:{_FR_PARTICIPLES})|{_FR_PRESENT}"
    rf"|[وف]?(?:{_AR_STEMS})ت?))(?!\w)",
    re.IGNORECASE,
)

# What introduces a reported clause after the cue: "that", "que", "أن", "إن", "على أن", "إلى أن".
COMPLEMENTIZER = re.compile(
    r"(?<!\w)(?:that|que|qu['’]|(?:(?:على|إلى)\s+)?ب?[أإ]ن(?:ه|ها|هم|هما)?)(?!\w)", re.IGNORECASE
)

PRONOUNS = frozenset("he she they it we i il elle ils elles on هو هي هم".split())
# A speaker's noun phrase starts with a capital, one of these, or (Arabic, no capitals) any word.
DETERMINERS = frozenset(
    "the a an his her its their our my this that these those one two three several some many most"
    " le la les un une des ce cette ces son sa ses leur leurs plusieurs m. mme".split()
)
# Words that end a speaker's phrase read forwards from the cue ("said Bourita on Tuesday").
AFTER_STOPS = frozenset(
    "on in at after before during who which that to from as last yesterday today tonight when while"
    " earlier later this adding noting and but via"
    " à au aux lors dans en après avant devant pendant hier lundi mardi mercredi jeudi vendredi samedi"
    " dimanche qui que et mais"
    " في إن أن بأن أنه إنه أنها إنها على إلى خلال يوم أمس عقب بعد لدى أمام مساء صباح اليوم و".split()
)
# Words that end a speaker's phrase read backwards from the cue ("…, and the minister said").
BEFORE_STOPS = frozenset(
    "that and but while which who whom where when as because if although so since"
    " et mais que qu qui où dont lorsque quand car si".split()
)
# Said between the speaker and the cue: "the ministry has also said".
AUXILIARIES = frozenset(
    "has have had was were is are been will would also later earlier previously repeatedly again long then"
    " reportedly".split()
)
# A reported clause without "that" does not start with these ("said on Tuesday.", "a dit lundi").
CLAUSE_NOT_FIRST = frozenset(
    "on in at after before during from with to for last yesterday today tonight earlier later this"
    " à au aux lors dans en après avant devant pendant hier lundi mardi mercredi jeudi vendredi samedi"
    " dimanche".split()
)
ABBREVIATIONS = frozenset("mr mrs ms dr prof st gen col lt sgt gov sen rep mme mlle m no vs jr sr u.s u.n".split())
