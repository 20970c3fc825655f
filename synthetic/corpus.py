"""A deterministic generator of annotated articles in the interchange shape, for tests.

The project's own builder, so the suite never needs ../shared/. Texts mix
English with Arabic and characters outside the Basic Multilingual Plane
(emoji, 𝕏) because offsets are code points and those are where counting
goes wrong.
"""
import json
import random

SOURCES = [("Hassan Bellouan", "person"), ("Morocco's Foreign Ministry", "organization"), ("France", "country"),
           ("ناصر بوريطة", "person"), ("the State Department", "government")]
CUES = ["said", "told reporters", "stressed", "قال"]
CLAIMS = ["Morocco hosts the meeting 🌍 for the first time", "the coalition met in Marrakech",
          "التعاون الدولي ضروري", "security services dismantled 12 cells on 𝕏"]
TARGETS = ["Moroccan sovereignty over Western Sahara", "International cooperation against ISIS"]
POLARITIES = ["favor", "against", "neutral"]


def annotated_record(i: int, rng: random.Random) -> dict:
    parts, spans, relations, stances = [], [], [], []
    size = 0

    def add(text, label=None, **extra):
        nonlocal size
        start = size
        parts.append(text)
        size += len(text)
        if label is None:
            return None
        span = {"id": f"s{len(spans) + 1}", "start": start, "end": size, "label": label, "text": text, **extra}
        spans.append(span)
        return span["id"]

    for _ in range(rng.randint(2, 5)):
        name, _kind = rng.choice(SOURCES)
        src = add(name, "SOURCE", entity=name)
        add(" ")
        cue = add(rng.choice(CUES), "CUE")
        add(" that “")
        quote = add(rng.choice(CLAIMS), "QUOTE", attributes={"quote_type": rng.choice(["direct", "indirect"])})
        add("”. ")
        relations += [{"from": quote, "to": src, "type": "ATTRIBUTED_TO"}, {"from": cue, "to": quote, "type": "CUE_OF"}]
        if rng.random() < 0.5:
            holder = add(rng.choice(["France", "Spain", "Israel"]), "SOURCE")
            add(" ")
            evidence = add("backs the plan", "STANCE_EVIDENCE")
            add(". ")
            stances.append({"holder": holder, "target": rng.choice(TARGETS), "polarity": rng.choice(POLARITIES),
                            "explicit": rng.random() < 0.8, "evidence": [evidence]})
        else:
            add(rng.choice(CLAIMS), "CLAIM", attributes={"check_worthy": rng.random() < 0.5})
            add(".\n\n")
    if rng.random() < 0.5:
        ev = next((s["id"] for s in spans if s["label"] == "CLAIM"), spans[0]["id"])
        stances.append({"holder_entity": "Morocco's Foreign Ministry", "target": TARGETS[0], "polarity": "favor",
                        "explicit": False, "evidence": ev})
    text = "".join(parts)
    return {
        "external_id": f"gen-{i:05d}",
        "title": f"Report {i} 🌙 تقرير",
        "source": rng.choice(["Example Daily", "Test Gazette"]),
        "url": f"https://news.example.org/{i}",
        "published": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "language": rng.choice(["en", "ar"]),
        "caption": f"Caption {i}",
        "text": text,
        "annotations": {"spans": spans, "relations": relations, "stances": stances},
    }


def annotated_records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [annotated_record(i, rng) for i in range(1, n + 1)]


def to_jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
