"""A world video's annotation in VAU-Bench's words: the four-option question, the key object,
a templated description and the six-section reasoning, each citing the event's times."""

from __future__ import annotations

import numpy as np

from inference.core.steps import SECTIONS
from world.events import NORMAL, Event
from world.scene import Layout

# What each kind of video shows, in one sentence: the true option of its question, and the
# other kinds' sentences are the plausible wrong ones.
SUMMARY: dict[str, str] = {
    "People_falling": "A person suddenly falls to the ground, lies there and then gets up",
    "Fighting": "Two people meet and fight, pushing and hitting each other",
    "Fire": "A fire breaks out beside a parked car and burns for a while",
    "Explosion": "Something explodes with a bright flash and a cloud of smoke",
    "Traffic_accident": "A car runs into the back of the car in front of it",
    "Stealing": "Someone grabs a bag from beside a person on a bench and runs off with it",
    NORMAL: "People walk by and cars pass; nothing unusual happens",
}
QUESTIONS: dict[str, str] = {
    "People_falling": "What happens to the person in {0} on the {side} sidewalk?",
    "Fighting": "What do the people in {0} and {1} do when they meet?",
    "Fire": "What happens near the parked {0} car?",
    "Explosion": "What happens on the road in this video?",
    "Traffic_accident": "What happens to the {0} car and the {1} car behind it?",
    "Stealing": "What happens to the bag beside the person sitting on the bench?",
    NORMAL: "What happens in the street in this video?",
}
KEY_OBJECT: dict[str, str] = {
    "People_falling": "person in {0}",
    "Fighting": "two people fighting",
    "Fire": "fire beside the parked car",
    "Explosion": "explosion on the road",
    "Traffic_accident": "the {0} car and the {1} car",
    "Stealing": "the bag and the person in {0} who takes it",
    NORMAL: "-1",
}
EVIDENCE: dict[str, tuple[str, str, str]] = {
    "People_falling": ("The person in {0} tips over from walking to lying flat",
                       "The person stays on the ground without walking on",
                       "The person gets back up and walks on"),
    "Fighting": ("The two people stop face to face instead of passing",
                 "Their bodies jerk back and forth with swinging arms",
                 "One runs away fast while the other staggers off"),
    "Fire": ("Flames appear beside the parked car", "The flames grow taller and flicker",
             "The fire dies down and goes out"),
    "Explosion": ("A bright flash bursts over the road", "A cloud of smoke and debris spreads",
                  "The smoke thins out"),
    "Traffic_accident": ("The {0} car stops suddenly", "The {1} car behind it runs into it",
                         "Both cars stand still with smoke before driving on"),
    "Stealing": ("The person in {0} stops at the bag", "They grab the bag and start running",
                 "They run out of view carrying the bag"),
}  # fmt: skip
WHY: dict[str, tuple[str, str, str]] = {  # (explanation, cause, effect)
    "People_falling": ("Walking is normal; a sudden fall and a still spell on the ground are not.",
                       "the person loses balance while walking",
                       "a fall that may have hurt them"),
    "Fighting": ("People who meet on a sidewalk greet or pass; repeated pushing and hitting is a "
                 "fight, and the escape afterwards confirms it.",
                 "a confrontation when the two meet", "a fight after which one flees"),
    "Fire": ("Nothing should burn on a street; open flames beside a car are a danger.",
             "something catches fire beside the car", "flames and smoke next to the car"),
    "Explosion": ("A flash followed by smoke and flying debris is an explosion, not traffic.",
                  "a blast on the road", "smoke and debris spread over the street"),
    "Traffic_accident": ("Cars keep their distance; one running into another is a collision.",
                         "the front car brakes and the one behind does not stop in time",
                         "a rear-end collision that blocks the lane"),
    "Stealing": ("Taking a bag that belongs to someone else and running is theft.",
                 "a passer-by sees an unattended bag", "the owner loses the bag"),
}  # fmt: skip


def at(seconds: float) -> str:
    """A time as the texts cite it."""
    return f"{seconds:.1f} seconds"


def options(rng: np.random.Generator, kind: str) -> tuple[tuple[str, str, str, str], str]:
    """Four options (the true summary among three other kinds') and the correct letter."""
    others = [k for k in SUMMARY if k != kind]
    picked = [others[i] for i in rng.choice(len(others), size=3, replace=False)]
    order = [kind, *picked]
    rng.shuffle(order)
    return tuple(SUMMARY[k] for k in order), "ABCD"[order.index(kind)]


def scene_words(layout: Layout) -> str:
    """The description's first sentence: the camera, the light and what passes."""
    light = "at dusk" if layout.dusk else "in daylight"
    people, cars = len(layout.walkers), len(layout.cars)
    return (f"A street camera {light} shows building fronts, a road and two sidewalks, with "
            f"{people} passer{'s' * (people != 1)}-by and {cars} car{'s' * (cars != 1)} "
            "going past.")  # fmt: skip


def description(layout: Layout, event: Event | None) -> str:
    """A few sentences of what happens, with the event's times."""
    parts = [scene_words(layout)]
    if layout.sitter is not None:
        parts.append(f"At about {at(layout.sitter.sit)} someone sits down on the bench for a "
                     "while and later walks on, which is ordinary.")  # fmt: skip
    if event is None:
        parts.append("Nothing unusual happens.")
    else:
        first, second, third = (e.format(*event.colors) for e in EVIDENCE[event.kind])
        parts.append(f"At about {at(event.start)}: {first.lower()}. {second}. {third} by about "
                     f"{at(event.end)}.")  # fmt: skip
    return " ".join(parts)


def reasoning(event: Event | None) -> str:
    """Six sections in VAU-Bench's MSAD style (`### Title: text`), citing the times."""
    if event is None:
        texts = (
            NORMAL,
            "Outdoors on a city street.",
            "- People walk along the sidewalks at an even pace. - Cars keep to their lanes.",
            "Everything seen is everyday street life; nobody falls, fights or is harmed.",
            "- Cause: none. - Effect: none.",
            "Nothing abnormal happens; the video is Normal.",
        )
    else:
        place = ("the far sidewalk" if event.far else "the near sidewalk") if event.kind in (
            "People_falling", "Fighting", "Stealing") else "the road"  # fmt: skip
        marks = (at(event.start), at((event.start + event.end) / 2), at(event.end))
        evidence = " ".join(f"- {e.format(*event.colors)} (about {m})."
                            for e, m in zip(EVIDENCE[event.kind], marks, strict=True))  # fmt: skip
        why, cause, effect = WHY[event.kind]
        summary = SUMMARY[event.kind]
        texts = (
            event.kind,
            f"Outdoors on {place} of a city street.",
            evidence,
            why,
            f"- Cause: {cause}. - Effect: {effect}.",
            f"The video shows that {summary[0].lower()}{summary[1:].lower()} between about "
            f"{event.start:.1f} and {event.end:.1f} seconds; the anomaly class is {event.kind}.",
        )
    return "  ".join(f"### {title}: {text}" for title, text in zip(SECTIONS, texts, strict=True))


def row(name: str, rng: np.random.Generator, layout: Layout, event: Event | None) -> dict:
    """The video's VAU-Bench row (Normal: times 0/0 and no key object, as VAU-Bench writes)."""
    kind = event.kind if event else NORMAL
    colors = event.colors if event else ("", "")
    opts, correct = options(rng, kind)
    side = "far" if event is not None and event.far else "near"
    return {
        "Video Name": name,
        "Question": QUESTIONS[kind].format(*colors, side=side),
        **{f"Option {i}": text for i, text in enumerate(opts, 1)},
        "Correct Option": correct,
        "Key Object": KEY_OBJECT[kind].format(*colors),
        "Description": description(layout, event),
        "Reasoning": reasoning(event),
        "Anomaly Class": kind,
        "Start Time": f"{event.start:.1f}" if event else "0.0",
        "End Time": f"{event.end:.1f}" if event else "0.0",
    }
