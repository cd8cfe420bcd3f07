"""Builds the committed demo sample (`demo/qba/`, QBA layout) from the hand-written studies below.

The clinical content (report sentences, observations, their tags) is written by hand in
`STUDIES`; this script only expands it into complete scene_graph.json / metadata.json
files: region trees, relations, sentence links, quality records, and boxes measured by
hand on the two real NIH images in `demo/images/` (512x512, PA). Run it after editing:

    python -m cxrkg.demo.build_demo
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cxrkg.ontology import load_ontology

HERE = Path(__file__).resolve().parent
OUT = HERE / "qba"

# Boxes (x1, y1, x2, y2) on each 512x512 image, measured by eye on a grid overlay.
BOXES: dict[str, dict[str, list[float]]] = {
    "00000001_000.png": {
        "right lung": [45, 70, 215, 390],
        "left lung": [280, 65, 455, 385],
        "right upper lung zone": [60, 70, 215, 177],
        "right mid lung zone": [50, 177, 215, 283],
        "right lower lung zone": [45, 283, 215, 390],
        "left upper lung zone": [280, 65, 440, 172],
        "left mid lung zone": [280, 172, 450, 278],
        "left lower lung zone": [280, 278, 455, 385],
        "right apical zone": [90, 70, 200, 115],
        "left apical zone": [290, 65, 400, 110],
        "right costophrenic angle": [40, 330, 110, 400],
        "left costophrenic angle": [400, 330, 470, 395],
        "right hilar structures": [140, 170, 210, 290],
        "left hilar structures": [290, 160, 350, 270],
        "cardiac silhouette": [180, 190, 400, 385],
        "mediastinum": [200, 40, 310, 385],
        "upper mediastinum": [210, 40, 300, 200],
        "trachea": [240, 0, 270, 160],
        "aortic arch": [265, 130, 320, 185],
        "svc": [210, 120, 250, 220],
        "right hemidiaphragm": [45, 330, 230, 400],
        "left hemidiaphragm": [270, 340, 460, 400],
        "spine": [235, 0, 280, 512],
        "right clavicle": [60, 60, 250, 130],
        "left clavicle": [280, 55, 470, 125],
        "abdomen": [40, 390, 470, 512],
    },
    "00027426_000.png": {
        "right lung": [70, 65, 240, 335],
        "left lung": [310, 60, 470, 375],
        "right upper lung zone": [80, 65, 240, 155],
        "right mid lung zone": [75, 155, 240, 245],
        "right lower lung zone": [70, 245, 240, 335],
        "left upper lung zone": [310, 60, 460, 165],
        "left mid lung zone": [310, 165, 465, 270],
        "left lower lung zone": [310, 270, 470, 375],
        "right apical zone": [110, 65, 230, 110],
        "left apical zone": [320, 60, 430, 105],
        "right costophrenic angle": [60, 290, 130, 345],
        "left costophrenic angle": [410, 320, 480, 385],
        "right hilar structures": [180, 170, 250, 270],
        "left hilar structures": [310, 160, 370, 260],
        "cardiac silhouette": [225, 215, 420, 350],
        "mediastinum": [230, 40, 320, 350],
        "upper mediastinum": [235, 40, 310, 215],
        "trachea": [255, 0, 285, 170],
        "aortic arch": [280, 140, 330, 190],
        "svc": [235, 130, 265, 220],
        "right hemidiaphragm": [70, 300, 250, 350],
        "left hemidiaphragm": [310, 330, 480, 390],
        "spine": [255, 0, 300, 512],
        "right clavicle": [60, 60, 250, 120],
        "left clavicle": [300, 55, 470, 115],
        "abdomen": [60, 380, 480, 512],
    },
}

# Tags, parents, default regions and the region tree come from the reference ontology,
# as QBA's entity mapping takes them from its reference definitions.
ONTO = load_ontology()

PROB = {
    "positive": ("certain", "pos"),
    "negative": ("certain", "neg"),
    "probable": ("likely", "pos"),
    "possible": ("uncertain", "pos"),
    "unlikely": ("unlikely", "neg"),
}


@dataclass
class Obs:
    """One hand-written observation (children nest)."""

    sent: int
    name: str
    summary: str
    entities: list[str]
    regions: list[str] = field(default_factory=list)
    prob: str = "positive"
    mods: dict[str, list[str]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    change_sentence: str | None = None
    children: list[tuple[str, Obs]] = field(default_factory=list)
    from_report: bool = True


@dataclass
class S:
    """One hand-written study."""

    patient: str
    study: str
    order: int
    image: str
    report: list[tuple[str, str]]
    obs: list[Obs]
    views: tuple[str, ...] = ("PA", "LATERAL")
    split: str = "train"
    days: float = 0.0
    indication: dict | None = None
    defaults: list[str] = field(default_factory=list)  # default negative findings


IMG1, IMG2 = "00000001_000.png", "00027426_000.png"
NEG_DEFAULTS = ["pneumothorax", "pleural effusion", "consolidation", "pulmonary edema"]

STUDIES: list[S] = [
    S(
        "p10000001",
        "s50000001",
        1,
        IMG2,
        [
            ("INDICATION", "___F with shortness of breath. Evaluate for effusion."),
            (
                "FINDINGS",
                "There is a moderate left pleural effusion with adjacent left basilar atelectasis.",
            ),
            ("FINDINGS", "The right lung is clear."),
            ("FINDINGS", "Heart size is normal."),
            ("IMPRESSION", "Moderate left pleural effusion."),
        ],
        [
            Obs(
                1,
                "moderate left pleural effusion",
                "There is a moderate left pleural effusion.",
                ["pleural effusion"],
                ["left costophrenic angle"],
                mods={"severity": ["moderate"]},
                children=[
                    (
                        "associated_with",
                        Obs(
                            1,
                            "left basilar atelectasis",
                            "There is adjacent left basilar atelectasis.",
                            ["atelectasis"],
                            ["left lower lung zone"],
                        ),
                    )
                ],
            ),
            Obs(
                2,
                "clear right lung",
                "The right lung is clear.",
                ["lung opacity"],
                ["right lung"],
                prob="negative",
            ),
            Obs(
                3,
                "normal heart size",
                "Heart size is normal.",
                ["cardiomegaly"],
                ["cardiac silhouette"],
                prob="negative",
            ),
        ],
        indication={
            "summary": "Female patient with shortness of breath; evaluate for effusion.",
            "patient_info": "Female with shortness of breath.",
            "indication": "Shortness of breath.",
            "evaluation": "Evaluate for effusion.",
            "answer": "Yes, there is a moderate left pleural effusion.",
            "entities": ["pleural effusion"],
            "sentences": [1, 4],
            "obs": ["O01"],
        },
        defaults=["pneumothorax"],
    ),
    S(
        "p10000001",
        "s50000002",
        2,
        IMG2,
        [
            ("INDICATION", "Follow-up of left pleural effusion."),
            ("FINDINGS", "The left pleural effusion has decreased and is now small."),
            ("FINDINGS", "No pneumothorax."),
            ("IMPRESSION", "Decreasing small left pleural effusion."),
        ],
        [
            Obs(
                1,
                "small left pleural effusion",
                "There is a small left pleural effusion.",
                ["pleural effusion"],
                ["left costophrenic angle"],
                mods={"severity": ["small"]},
                changes=["decreased"],
                change_sentence="The left pleural effusion has decreased.",
            ),
            Obs(
                2,
                "no pneumothorax",
                "There is no pneumothorax.",
                ["pneumothorax"],
                ["pleural space"],
                prob="negative",
            ),
        ],
        days=3.0,
        indication={
            "summary": "Follow-up of a left pleural effusion.",
            "patient_info": None,
            "indication": "Known left pleural effusion.",
            "evaluation": "Follow-up of left pleural effusion.",
            "answer": "The left pleural effusion has decreased and is now small.",
            "entities": ["pleural effusion"],
            "sentences": [1, 3],
            "obs": ["O01"],
        },
    ),
    S(
        "p10000001",
        "s50000003",
        3,
        IMG2,
        [
            ("FINDINGS", "The previously seen left pleural effusion has resolved."),
            ("FINDINGS", "The lungs are clear."),
            ("FINDINGS", "Cardiomediastinal silhouette is within normal limits."),
        ],
        [
            Obs(
                0,
                "no left pleural effusion",
                "There is no left pleural effusion.",
                ["pleural effusion"],
                ["left costophrenic angle"],
                prob="negative",
                changes=["resolved"],
                change_sentence="The previously seen left pleural effusion has resolved.",
            ),
            Obs(
                1,
                "clear lungs",
                "The lungs are clear.",
                ["lung opacity"],
                ["lungs"],
                prob="negative",
            ),
            Obs(
                2,
                "normal cardiomediastinal silhouette",
                "The cardiomediastinal silhouette is within normal limits.",
                ["enlarged cardiac silhouette", "mediastinal widening"],
                ["cardiac silhouette", "mediastinum"],
                prob="negative",
            ),
        ],
        days=10.0,
        views=("PA",),
        defaults=["pneumothorax"],
    ),
    S(
        "p10000002",
        "s50000004",
        1,
        IMG1,
        [
            ("INDICATION", "Intubated patient, evaluate tube positions."),
            ("FINDINGS", "Endotracheal tube terminates 4 cm above the carina."),
            (
                "FINDINGS",
                "An enteric tube courses below the diaphragm with its tip in the stomach.",
            ),
            ("FINDINGS", "Right internal jugular central venous catheter tip is in the mid SVC."),
            ("FINDINGS", "There is mild pulmonary edema."),
            ("FINDINGS", "No pneumothorax."),
        ],
        [
            Obs(
                1,
                "endotracheal tube",
                "An endotracheal tube terminates 4 cm above the carina.",
                ["endotracheal tube"],
                ["trachea"],
            ),
            Obs(
                2,
                "enteric tube",
                "An enteric tube courses below the diaphragm with its tip in the stomach.",
                ["enteric tube"],
                ["abdomen"],
            ),
            Obs(
                3,
                "right internal jugular central venous catheter",
                "A right internal jugular central venous catheter has its tip in the mid SVC.",
                ["central venous catheter"],
                ["svc"],
            ),
            Obs(
                4,
                "mild pulmonary edema",
                "There is mild pulmonary edema.",
                ["pulmonary edema"],
                ["lungs"],
                mods={"severity": ["mild"]},
            ),
            Obs(
                5,
                "no pneumothorax",
                "There is no pneumothorax.",
                ["pneumothorax"],
                ["pleural space"],
                prob="negative",
            ),
        ],
        views=("AP",),
        indication={
            "summary": "Intubated patient; evaluate tube positions.",
            "patient_info": "Intubated patient.",
            "indication": None,
            "evaluation": "Evaluate tube positions.",
            "answer": "The endotracheal tube, enteric tube and right internal jugular catheter are in standard positions.",
            "entities": ["endotracheal tube", "enteric tube", "central venous catheter"],
            "sentences": [1, 2, 3],
            "obs": ["O01", "O02", "O03"],
        },
    ),
    S(
        "p10000002",
        "s50000005",
        2,
        IMG1,
        [
            ("FINDINGS", "The endotracheal tube has been removed."),
            ("FINDINGS", "Right internal jugular catheter remains in place."),
            (
                "FINDINGS",
                "Pulmonary edema has improved, with only minimal residual interstitial edema.",
            ),
        ],
        [
            Obs(
                0,
                "no endotracheal tube",
                "There is no endotracheal tube.",
                ["endotracheal tube"],
                ["trachea"],
                prob="negative",
                changes=["removed"],
                change_sentence="The endotracheal tube has been removed.",
            ),
            Obs(
                1,
                "right internal jugular catheter",
                "A right internal jugular catheter is in place.",
                ["central venous catheter"],
                ["svc"],
                changes=["unchanged"],
                change_sentence="The right internal jugular catheter remains in place.",
            ),
            Obs(
                2,
                "minimal interstitial edema",
                "There is minimal interstitial edema.",
                ["pulmonary edema"],
                ["lungs"],
                mods={"severity": ["minimal"], "texture": ["interstitial"]},
                changes=["improved"],
                change_sentence="Pulmonary edema has improved.",
            ),
        ],
        views=("AP",),
        days=2.0,
    ),
    S(
        "p10000003",
        "s50000006",
        1,
        IMG2,
        [
            ("INDICATION", "Routine preoperative chest radiograph."),
            (
                "FINDINGS",
                "The lungs are clear without focal consolidation, effusion, or pneumothorax.",
            ),
            ("FINDINGS", "Heart size is normal."),
            ("IMPRESSION", "No acute cardiopulmonary process."),
        ],
        [
            Obs(
                1,
                "no focal consolidation",
                "There is no focal consolidation.",
                ["consolidation"],
                ["lungs"],
                prob="negative",
                mods={"spread": ["focal"]},
            ),
            Obs(
                1,
                "no pleural effusion",
                "There is no pleural effusion.",
                ["pleural effusion"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                1,
                "no pneumothorax",
                "There is no pneumothorax.",
                ["pneumothorax"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                2,
                "normal heart size",
                "Heart size is normal.",
                ["cardiomegaly"],
                ["cardiac silhouette"],
                prob="negative",
            ),
            Obs(
                3,
                "no acute cardiopulmonary process",
                "There is no acute cardiopulmonary process.",
                ["normal"],
                ["lungs"],
                prob="positive",
            ),
        ],
        indication={
            "summary": "Routine preoperative chest radiograph.",
            "patient_info": None,
            "indication": "Preoperative evaluation.",
            "evaluation": None,
            "answer": "No acute cardiopulmonary process.",
            "entities": ["normal"],
            "sentences": [3],
            "obs": ["O05"],
        },
    ),
    S(
        "p10000003",
        "s50000007",
        2,
        IMG2,
        [
            ("FINDINGS", "No focal consolidation, pleural effusion, or pneumothorax."),
            ("FINDINGS", "The cardiomediastinal silhouette is normal."),
        ],
        [
            Obs(
                0,
                "no focal consolidation",
                "There is no focal consolidation.",
                ["consolidation"],
                ["lungs"],
                prob="negative",
                mods={"spread": ["focal"]},
            ),
            Obs(
                0,
                "no pleural effusion",
                "There is no pleural effusion.",
                ["pleural effusion"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                0,
                "no pneumothorax",
                "There is no pneumothorax.",
                ["pneumothorax"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                1,
                "normal cardiomediastinal silhouette",
                "The cardiomediastinal silhouette is normal.",
                ["enlarged cardiac silhouette", "mediastinal widening"],
                ["cardiac silhouette", "mediastinum"],
                prob="negative",
            ),
        ],
        days=400.0,
        split="train",
    ),
    S(
        "p10000004",
        "s50000008",
        1,
        IMG2,
        [
            ("INDICATION", "___M with fever and productive cough. Evaluate for pneumonia."),
            (
                "FINDINGS",
                "There is a dense consolidation in the right lower lung zone with air bronchograms, consistent with pneumonia.",
            ),
            ("FINDINGS", "Small right pleural effusion is likely."),
            ("FINDINGS", "The left lung is clear."),
            ("IMPRESSION", "Right lower lobe pneumonia."),
        ],
        [
            Obs(
                1,
                "dense right lower lung zone consolidation",
                "There is a dense consolidation in the right lower lung zone.",
                ["consolidation"],
                ["right lower lung zone"],
                mods={"texture": ["dense"]},
                children=[
                    (
                        "associated_with",
                        Obs(
                            1,
                            "air bronchograms",
                            "Air bronchograms are seen within the consolidation.",
                            ["air bronchogram"],
                            ["right lower lung zone"],
                        ),
                    ),
                    (
                        "suggestive_of",
                        Obs(
                            1,
                            "pneumonia",
                            "The consolidation is consistent with pneumonia.",
                            ["pneumonia"],
                            ["right lower lung zone"],
                            prob="probable",
                            children=[
                                (
                                    "associated_with",
                                    Obs(
                                        4,
                                        "right lower lobe pneumonia",
                                        "There is a right lower lobe pneumonia.",
                                        ["pneumonia"],
                                        ["right lower lung zone"],
                                    ),
                                )
                            ],
                        ),
                    ),
                ],
            ),
            Obs(
                2,
                "small right pleural effusion",
                "A small right pleural effusion is likely.",
                ["pleural effusion"],
                ["right costophrenic angle"],
                prob="probable",
                mods={"severity": ["small"]},
            ),
            Obs(
                3,
                "clear left lung",
                "The left lung is clear.",
                ["lung opacity"],
                ["left lung"],
                prob="negative",
            ),
        ],
        split="test",
        indication={
            "summary": "Male with fever and productive cough; evaluate for pneumonia.",
            "patient_info": "Male with fever and productive cough.",
            "indication": "Fever and productive cough.",
            "evaluation": "Evaluate for pneumonia.",
            "answer": "Yes, there is a right lower lobe pneumonia.",
            "entities": ["pneumonia"],
            "sentences": [1, 4],
            "obs": ["O01"],
        },
        defaults=["pneumothorax"],
    ),
    S(
        "p10000004",
        "s50000009",
        2,
        IMG2,
        [
            ("FINDINGS", "The right lower lung zone consolidation has improved but persists."),
            ("FINDINGS", "No pleural effusion."),
        ],
        [
            Obs(
                0,
                "right lower lung zone consolidation",
                "There is a consolidation in the right lower lung zone.",
                ["consolidation"],
                ["right lower lung zone"],
                changes=["improved"],
                change_sentence="The right lower lung zone consolidation has improved but persists.",
            ),
            Obs(
                1,
                "no pleural effusion",
                "There is no pleural effusion.",
                ["pleural effusion"],
                ["pleural space"],
                prob="negative",
            ),
        ],
        split="test",
        days=14.0,
    ),
    S(
        "p10000005",
        "s50000010",
        1,
        IMG1,
        [
            ("INDICATION", "Dyspnea and leg swelling, history of CHF."),
            ("FINDINGS", "The heart is markedly enlarged."),
            ("FINDINGS", "There is pulmonary vascular congestion."),
            ("FINDINGS", "Small bilateral pleural effusions are present."),
            (
                "IMPRESSION",
                "Cardiomegaly with vascular congestion and small bilateral effusions, compatible with CHF.",
            ),
        ],
        [
            Obs(
                1,
                "marked cardiomegaly",
                "The heart is markedly enlarged.",
                ["cardiomegaly"],
                ["cardiac silhouette"],
                mods={"severity": ["marked"]},
            ),
            Obs(
                2,
                "pulmonary vascular congestion",
                "There is pulmonary vascular congestion.",
                ["vascular congestion"],
                ["lungs"],
            ),
            Obs(
                3,
                "small bilateral pleural effusions",
                "There are small bilateral pleural effusions.",
                ["pleural effusion"],
                ["left costophrenic angle", "right costophrenic angle"],
                mods={"severity": ["small"]},
            ),
        ],
        indication={
            "summary": "Dyspnea and leg swelling in a patient with a history of CHF.",
            "patient_info": "History of congestive heart failure.",
            "indication": "Dyspnea and leg swelling.",
            "evaluation": None,
            "answer": "The findings are compatible with congestive heart failure.",
            "entities": ["cardiomegaly", "vascular congestion", "pleural effusion"],
            "sentences": [1, 2, 3, 4],
            "obs": ["O01", "O02", "O03"],
        },
        defaults=["pneumothorax", "consolidation"],
    ),
    S(
        "p10000006",
        "s50000011",
        1,
        IMG2,
        [
            ("INDICATION", "Status post right central line placement, evaluate for pneumothorax."),
            ("FINDINGS", "There is a small right apical pneumothorax."),
            ("FINDINGS", "A right chest tube is in place."),
        ],
        [
            Obs(
                1,
                "small right apical pneumothorax",
                "There is a small right apical pneumothorax.",
                ["pneumothorax"],
                ["right apical zone"],
                mods={"severity": ["small"]},
            ),
            Obs(
                2,
                "right chest tube",
                "A right chest tube is in place.",
                ["chest tube"],
                ["right lung"],
            ),
        ],
        views=("PA", "AP"),
        indication={
            "summary": "After right central line placement; evaluate for pneumothorax.",
            "patient_info": None,
            "indication": "Right central line placement.",
            "evaluation": "Evaluate for pneumothorax.",
            "answer": "Yes, there is a small right apical pneumothorax.",
            "entities": ["pneumothorax"],
            "sentences": [1],
            "obs": ["O01"],
        },
    ),
    S(
        "p10000006",
        "s50000012",
        2,
        IMG2,
        [
            ("FINDINGS", "The right apical pneumothorax has resolved."),
            ("FINDINGS", "The right chest tube is unchanged in position."),
        ],
        [
            Obs(
                0,
                "no right apical pneumothorax",
                "There is no right apical pneumothorax.",
                ["pneumothorax"],
                ["right apical zone"],
                prob="negative",
                changes=["resolved"],
                change_sentence="The right apical pneumothorax has resolved.",
            ),
            Obs(
                1,
                "right chest tube",
                "A right chest tube is in place.",
                ["chest tube"],
                ["right lung"],
                changes=["unchanged"],
                change_sentence="The right chest tube is unchanged in position.",
            ),
        ],
        days=1.0,
    ),
    S(
        "p10000007",
        "s50000013",
        1,
        IMG1,
        [
            (
                "FINDINGS",
                "A left-sided dual-lead pacemaker is present with leads in the right atrium and right ventricle.",
            ),
            ("FINDINGS", "The heart is mildly enlarged."),
            ("IMPRESSION", "No acute process."),
        ],
        [
            Obs(
                0,
                "left-sided dual-lead pacemaker",
                "A left-sided dual-lead pacemaker is present.",
                ["pacemaker"],
                ["cardiac silhouette"],
            ),
            Obs(
                1,
                "mild cardiomegaly",
                "The heart is mildly enlarged.",
                ["cardiomegaly"],
                ["cardiac silhouette"],
                mods={"severity": ["mild"]},
            ),
        ],
        defaults=["pneumothorax", "pleural effusion", "consolidation"],
    ),
    S(
        "p10000007",
        "s50000014",
        2,
        IMG1,
        [
            ("INDICATION", "Cough. Evaluate for pneumonia."),
            ("FINDINGS", "Pacemaker leads are unchanged."),
            (
                "FINDINGS",
                "There is a patchy opacity at the left lung base which could represent early pneumonia.",
            ),
        ],
        [
            Obs(
                1,
                "pacemaker",
                "A pacemaker is present.",
                ["pacemaker"],
                ["cardiac silhouette"],
                changes=["unchanged"],
                change_sentence="Pacemaker leads are unchanged.",
            ),
            Obs(
                2,
                "patchy left basal opacity",
                "There is a patchy opacity at the left lung base.",
                ["lung opacity"],
                ["left lower lung zone"],
                mods={"texture": ["patchy"]},
                children=[
                    (
                        "suggestive_of",
                        Obs(
                            2,
                            "possible early pneumonia",
                            "The opacity could represent early pneumonia.",
                            ["pneumonia"],
                            ["left lower lung zone"],
                            prob="possible",
                            mods={"temporal": ["acute"]},
                        ),
                    )
                ],
            ),
        ],
        days=30.0,
        indication={
            "summary": "Cough; evaluate for pneumonia.",
            "patient_info": None,
            "indication": "Cough.",
            "evaluation": "Evaluate for pneumonia.",
            "answer": "There is a patchy left basal opacity that could represent early pneumonia.",
            "entities": ["lung opacity", "pneumonia"],
            "sentences": [2],
            "obs": ["O02"],
        },
    ),
    S(
        "p10000008",
        "s50000015",
        1,
        IMG2,
        [
            ("FINDINGS", "There is a 1.5 cm nodular opacity in the left mid lung zone."),
            ("FINDINGS", "No pleural effusion or pneumothorax."),
            ("IMPRESSION", "Left mid lung nodule; CT recommended."),
        ],
        [
            Obs(
                0,
                "left mid lung zone nodule",
                "There is a 1.5 cm nodular opacity in the left mid lung zone.",
                ["nodule"],
                ["left mid lung zone"],
                mods={"texture": ["nodular"]},
            ),
            Obs(
                1,
                "no pleural effusion",
                "There is no pleural effusion.",
                ["pleural effusion"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                1,
                "no pneumothorax",
                "There is no pneumothorax.",
                ["pneumothorax"],
                ["pleural space"],
                prob="negative",
            ),
        ],
        split="validate",
    ),
    S(
        "p10000008",
        "s50000016",
        2,
        IMG2,
        [
            ("FINDINGS", "The lungs are hyperinflated, consistent with emphysema."),
            ("FINDINGS", "Degenerative changes of the thoracic spine."),
            ("FINDINGS", "The left mid lung nodule is unchanged."),
        ],
        [
            Obs(
                0,
                "hyperinflated lungs",
                "The lungs are hyperinflated.",
                ["hyperaeration"],
                ["lungs"],
                children=[
                    (
                        "suggestive_of",
                        Obs(
                            0,
                            "emphysema",
                            "The findings are consistent with emphysema.",
                            ["emphysema"],
                            ["lungs"],
                            prob="probable",
                        ),
                    )
                ],
            ),
            Obs(
                1,
                "degenerative changes of the thoracic spine",
                "There are degenerative changes of the thoracic spine.",
                ["spinal degenerative changes"],
                ["spine"],
                mods={"temporal": ["chronic"]},
            ),
            Obs(
                2,
                "left mid lung nodule",
                "There is a nodule in the left mid lung zone.",
                ["nodule"],
                ["left mid lung zone"],
                changes=["unchanged"],
                change_sentence="The left mid lung nodule is unchanged.",
            ),
        ],
        split="validate",
        days=180.0,
    ),
    S(
        "p10000009",
        "s50000017",
        1,
        IMG1,
        [
            ("FINDINGS", "Portable AP semi-upright view of the chest."),
            ("FINDINGS", "The patient is rotated to the right and lung volumes are low."),
            ("FINDINGS", "Overlying ECG leads obscure portions of the left lung."),
            ("FINDINGS", "Within these limitations, there is no consolidation."),
        ],
        [
            Obs(
                0,
                "portable ap semi-upright view",
                "This is a portable AP semi-upright view of the chest.",
                ["portable ap view"],
                [],
            ),
            Obs(
                1,
                "patient rotation",
                "The patient is rotated to the right.",
                ["rotated"],
                [],
            ),
            Obs(1, "low lung volumes", "Lung volumes are low.", ["low lung volumes"], ["lungs"]),
            Obs(
                2,
                "overlying ecg leads",
                "Overlying ECG leads obscure portions of the left lung.",
                ["ecg leads"],
                ["left lung"],
            ),
            Obs(
                3,
                "no consolidation",
                "There is no consolidation.",
                ["consolidation"],
                ["lungs"],
                prob="negative",
            ),
        ],
        views=("AP",),
    ),
    S(
        "p10000010",
        "s50000018",
        1,
        IMG2,
        [
            ("INDICATION", "PICC placement."),
            ("FINDINGS", "A right upper extremity PICC terminates in the lower SVC."),
            ("FINDINGS", "There is mild bibasilar atelectasis."),
        ],
        [
            Obs(
                1,
                "right picc",
                "A right upper extremity PICC terminates in the lower SVC.",
                ["picc"],
                ["svc"],
            ),
            Obs(
                2,
                "mild bibasilar atelectasis",
                "There is mild bibasilar atelectasis.",
                ["atelectasis"],
                ["left lower lung zone", "right lower lung zone"],
                mods={"severity": ["mild"]},
            ),
        ],
        indication={
            "summary": "Check PICC position.",
            "patient_info": None,
            "indication": "PICC placement.",
            "evaluation": "Check line position.",
            "answer": "The PICC terminates in the lower SVC.",
            "entities": ["picc"],
            "sentences": [1],
            "obs": ["O01"],
        },
        defaults=["pneumothorax", "pleural effusion"],
    ),
    S(
        "p10000010",
        "s50000019",
        2,
        IMG2,
        [
            (
                "FINDINGS",
                "New right lower lung zone opacity, which may represent aspiration or atelectasis.",
            ),
            ("FINDINGS", "PICC is unchanged."),
        ],
        [
            Obs(
                0,
                "right lower lung zone opacity",
                "There is an opacity in the right lower lung zone.",
                ["lung opacity"],
                ["right lower lung zone"],
                changes=["new"],
                change_sentence="The right lower lung zone opacity is new.",
                children=[
                    (
                        "differential_diagnosis",
                        Obs(
                            0,
                            "possible aspiration",
                            "The opacity may represent aspiration.",
                            ["aspiration"],
                            ["right lower lung zone"],
                            prob="possible",
                        ),
                    ),
                    (
                        "differential_diagnosis",
                        Obs(
                            0,
                            "possible atelectasis",
                            "The opacity may represent atelectasis.",
                            ["atelectasis"],
                            ["right lower lung zone"],
                            prob="possible",
                        ),
                    ),
                ],
            ),
            Obs(
                1,
                "picc",
                "A PICC is in place.",
                ["picc"],
                ["svc"],
                changes=["unchanged"],
                change_sentence="The PICC is unchanged.",
            ),
        ],
        days=5.0,
    ),
    S(
        "p10000011",
        "s50000020",
        1,
        IMG2,
        [
            ("INDICATION", "Chest pain."),
            ("FINDINGS", "The lungs are clear."),
            ("FINDINGS", "There is no pleural effusion or pneumothorax."),
            ("FINDINGS", "The heart and mediastinum are normal."),
        ],
        [
            Obs(
                1,
                "clear lungs",
                "The lungs are clear.",
                ["lung opacity"],
                ["lungs"],
                prob="negative",
            ),
            Obs(
                2,
                "no pleural effusion",
                "There is no pleural effusion.",
                ["pleural effusion"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                2,
                "no pneumothorax",
                "There is no pneumothorax.",
                ["pneumothorax"],
                ["pleural space"],
                prob="negative",
            ),
            Obs(
                3,
                "normal heart and mediastinum",
                "The heart and mediastinum are normal.",
                ["cardiomegaly", "mediastinal widening"],
                ["cardiac silhouette", "mediastinum"],
                prob="negative",
            ),
        ],
        indication={
            "summary": "Chest pain.",
            "patient_info": None,
            "indication": "Chest pain.",
            "evaluation": None,
            "answer": "No acute cardiopulmonary abnormality.",
            "entities": ["normal"],
            "sentences": [1, 2, 3],
            "obs": ["O01", "O02", "O03"],
        },
    ),
    S(
        "p10000011",
        "s50000021",
        2,
        IMG2,
        [
            ("FINDINGS", "There is a moderate hiatal hernia."),
            ("FINDINGS", "The mediastinum is not widened."),
            ("FINDINGS", "Lungs remain clear."),
        ],
        [
            Obs(
                0,
                "moderate hiatal hernia",
                "There is a moderate hiatal hernia.",
                ["hiatal hernia"],
                ["mediastinum"],
                mods={"severity": ["moderate"]},
            ),
            Obs(
                1,
                "no mediastinal widening",
                "The mediastinum is not widened.",
                ["mediastinal widening"],
                ["mediastinum"],
                prob="negative",
            ),
            Obs(
                2,
                "clear lungs",
                "The lungs are clear.",
                ["lung opacity"],
                ["lungs"],
                prob="negative",
                changes=["unchanged"],
                change_sentence="The lungs remain clear.",
            ),
        ],
        days=60.0,
    ),
    S(
        "p10000011",
        "s50000022",
        3,
        IMG2,
        [
            ("FINDINGS", "Old healed fractures of the left lateral fifth and sixth ribs."),
            ("FINDINGS", "No acute fracture is seen."),
            ("FINDINGS", "The lungs are clear."),
        ],
        [
            Obs(
                0,
                "old healed left rib fractures",
                "There are old healed fractures of the left lateral fifth and sixth ribs.",
                ["rib fracture"],
                ["left lung"],
                mods={"temporal": ["old", "healed"]},
            ),
            Obs(
                1,
                "no acute fracture",
                "There is no acute fracture.",
                ["fracture"],
                [],
                prob="negative",
                mods={"temporal": ["acute"]},
            ),
            Obs(
                2,
                "clear lungs",
                "The lungs are clear.",
                ["lung opacity"],
                ["lungs"],
                prob="negative",
            ),
        ],
        days=200.0,
    ),
]


# --------------------------------------------------------------------------------------
def _region_tree(regions: set[str]) -> set[str]:
    """The regions and all their part-of ancestors (QBA fills intermediate regions)."""
    out = set(regions)
    for r in regions:
        if ONTO.region(r) is not None:
            out.update(ONTO.ancestors(r))
    return out


def _laterality(regions: list[str]) -> str | None:
    sides = set()
    for r in regions:
        c = ONTO.region(r)
        side = c.laterality if c is not None else None
        sides.update({"left", "right"} if side == "bilateral" else {side} - {None})
    if sides == {"left", "right"}:
        return "bilateral"
    return sides.pop() if sides else None


def _union(boxes: list[list[float]]) -> list[float]:
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _boxes(region: str, image: str) -> list[list[float]]:
    """Measured boxes, or a composite's boxes by the ontology's definition."""
    table = BOXES[image]
    if region in table:
        return [list(map(float, table[region]))]
    c = ONTO.region(region)
    if c is None or c.composite is None:
        return []
    op, parts = c.composite
    part_boxes = [_boxes(p, image) for p in parts]
    if any(not pb for pb in part_boxes):
        return []
    flat = [b for pb in part_boxes for b in pb]
    if op == "union":
        return flat
    if op == "superbox":
        return [_union(flat)]
    x1, y1 = max(b[0] for b in flat), max(b[1] for b in flat)
    x2, y2 = min(b[2] for b in flat), min(b[3] for b in flat)
    return [[x1, y1, x2, y2]] if x1 < x2 and y1 < y2 else []


def _localization(regions: list[str], images: dict[str, dict]) -> dict:
    out = {}
    for image_id, img in images.items():
        if img["file"] is None:
            continue  # a lateral view without a file: no boxes
        boxes, refs, missing = [], [], []
        for region in regions:
            b = _boxes(region, img["file"])
            (refs if b else missing).append(region)
            boxes += b
        fallback = not boxes and bool(regions)
        if fallback:  # non-localized regions fall back to both lungs
            boxes = _boxes("lungs", img["file"])
        quality = (
            "NO_LOCALIZATION"
            if not regions
            else "FALLBACK_LOCALIZATION"
            if fallback
            else "INCOMPLETE_LOCALIZATION"
            if missing
            else "BBOX_LOCALIZATION"
        )
        out[image_id] = {
            "image_id": image_id,
            "localization_reference_ids": refs if not fallback else ["lungs"],
            "bboxes": boxes,
            "instance_mask_ids": refs,
            "missing_localization": missing,
            "is_fallback": fallback,
            "localization_quality": quality,
        }
    return out


def _obs_json(oid: str, o: Obs, level: int, child_type: str | None, images: dict) -> dict:
    concepts = [ONTO.finding(e) for e in o.entities]
    resolved = [c.name for c in concepts if c is not None]
    unresolved = [e for e, c in zip(o.entities, concepts, strict=True) if c is None]
    defaults = list(dict.fromkeys(r for c in concepts if c for r in c.default_regions))
    regions = o.regions or defaults
    defaulted = not o.regions and bool(regions)
    cats, subcats, parents = [], [], []
    for c in concepts:
        if c is None:
            continue
        cats += [x for x in c.categories if x not in cats]
        subcats += [x for x in c.subcategories if x not in subcats]
        parents += [x for x in ONTO.ancestors(c.name) if x not in parents and x not in resolved]
    certainty, positiveness = PROB[o.prob]
    loc = _localization(regions, images)
    loc_q = min(
        (v["localization_quality"] for v in loc.values()),
        default="NO_LOCALIZATION",
        key=_WORST["localization_quality"].index,
    )
    return {
        "obs_id": oid,
        "name": o.name,
        "summary_sentence": o.summary,
        "child_type": child_type,
        "child_level": level,
        "regions": [{"region": r, "distances": []} for r in regions],
        "non_resolved_regions": [],
        "laterality": _laterality(regions),
        "default_regions": regions if defaulted else [],
        "obs_entities": resolved,
        "obs_entities_parents": parents,
        "non_resolved_obs_entities": unresolved,
        "obs_categories": cats,
        "obs_subcategories": subcats,
        "probability": o.prob,
        "certainty": certainty,
        "positiveness": positiveness,
        "modifiers": {t: o.mods.get(t, []) for t in ("temporal", "severity", "texture", "spread")},
        "changes": o.changes,
        "change_sentence": o.change_sentence,
        "from_report": o.from_report,
        "obs_quality": {
            "region_quality": (
                "NO_REGIONS"
                if not regions
                else "DEFAULT_REGIONS_ONLY"
                if defaulted
                else "RESOLVED_REGIONS_ONLY"
            ),
            "entity_quality": (
                "RESOLVED_ENTITIES_ONLY"
                if not unresolved
                else "CONTAINS_NON_RESOLVED_ENTITIES"
                if resolved
                else "NO_ENTITIES"
            ),
            "sentence_name_quality": "NO_ISSUES",
            "change_quality": "NO_ISSUES",
            "issue_level": "NO_ISSUES",
            "localization_quality": loc_q,
        },
        "localization": loc,
    }


_WORST = {
    "region_quality": [
        "NO_REGIONS",
        "DEFAULT_REGIONS_ONLY",
        "CONTAINS_DEFAULT_REGIONS",
        "CONTAINS_NON_RESOLVED_REGIONS",
        "RESOLVED_REGIONS_ONLY",
    ],
    "localization_quality": [
        "NO_LOCALIZATION",
        "FALLBACK_LOCALIZATION",
        "INCOMPLETE_LOCALIZATION",
        "BBOX_LOCALIZATION",
        "BBOX_AND_MASK_LOCALIZATION",
    ],
}


def build_study(s: S) -> tuple[dict, dict]:
    images = {}
    for i, view in enumerate(s.views):
        image_id = f"{s.study[1:]}-{i + 1:02d}-{view.lower()}"
        images[image_id] = {
            "image_id": image_id,
            "view_position": view,
            "file": None if view == "LATERAL" else s.image,
            "width": 512,
            "height": 512,
        }
    sentences = {
        f"S{i + 1:02d}": {
            "sent_id": f"S{i + 1:02d}",
            "section": sec,
            "section_type": sec,
            "sentence": text,
        }
        for i, (sec, text) in enumerate(s.report)
    }
    observations: dict[str, dict] = {}
    obs_rel, obs_sent, top = [], [], []

    def add(o: Obs, oid: str, level: int, child_type: str | None) -> None:
        observations[oid] = _obs_json(oid, o, level, child_type, images)
        obs_sent.append({"observation_id": oid, "sentence_id": f"S{o.sent + 1:02d}"})
        for j, (ct, child) in enumerate(o.children):
            cid = f"{oid}.{j + 1:02d}"
            obs_rel.append(
                {"parent_observation_id": oid, "child_observation_id": cid, "child_type": ct}
            )
            add(child, cid, level + 1, ct)

    for i, o in enumerate(s.obs):
        oid = f"O{i + 1:02d}"
        top.append(oid)
        add(o, oid, 0, None)
    # Default negative observations where nothing in the study mentions the finding.
    mentioned = {e for o in observations.values() for e in o["obs_entities"]}
    for finding in s.defaults:
        if finding in mentioned:
            continue
        oid = f"O{len(top) + 1:02d}"
        top.append(oid)
        obs = _obs_json(
            oid,
            Obs(
                -1,
                f"no {finding}",
                f"There is no {finding}.",
                [finding],
                prob="negative",
                from_report=False,
            ),
            0,
            None,
            images,
        )
        observations[oid] = obs

    regions_used = {r["region"] for o in observations.values() for r in o["regions"]}
    all_regions = _region_tree(regions_used)
    regions = {}
    for r in sorted(all_regions):
        loc = {k: v for k, v in _localization([r], images).items() if not v["is_fallback"]}
        quality = (
            "NO_LOCALIZATION"
            if not loc
            else min(
                (v["localization_quality"] for v in loc.values()),
                key=_WORST["localization_quality"].index,
            )
        )
        regions[r] = {
            "region": r,
            "laterality": _laterality([r]),
            "localization": loc,
            "region_localization_quality": quality,
        }
    rr = []
    for r in sorted(all_regions):
        c = ONTO.region(r)
        if c is None:
            continue
        for parent in c.parents:
            if parent in all_regions:
                rr.append({"region": parent, "related_region": r, "relation_type": "sub_region"})
        if r.startswith("left ") and c.counterpart in all_regions:
            rr.append({"region": r, "related_region": c.counterpart, "relation_type": "right"})
            rr.append({"region": c.counterpart, "related_region": r, "relation_type": "left"})
    located = [
        {
            "region": reg["region"],
            "observation_id": oid,
            "distances": [],
            "where_specified": "default" if o["default_regions"] else "direct",
        }
        for oid, o in observations.items()
        for reg in o["regions"]
    ]

    indication = None
    if s.indication:
        ind = s.indication
        answer = _obs_json(
            "OIND",
            Obs(-1, "answer for indication", ind["answer"], ind["entities"]),
            0,
            None,
            images,
        )
        answer["regions"] = []
        answer["localization"] = {}
        answer["obs_quality"]["region_quality"] = "NO_REGIONS"
        answer["obs_quality"]["localization_quality"] = "NO_LOCALIZATION"
        answer["laterality"] = None
        indication = {
            "indication_summary": ind["summary"],
            "patient_info": ind["patient_info"],
            "indication": ind["indication"],
            "evaluation": ind["evaluation"],
            "associated_sentence_ids": [f"S{i + 1:02d}" for i in ind["sentences"]],
            "associated_obs_ids": ind["obs"],
            "answer_for_indication": answer,
        }

    quality = {}
    for crit in (
        "region_quality",
        "entity_quality",
        "sentence_name_quality",
        "change_quality",
        "issue_level",
        "localization_quality",
    ):
        values = [o["obs_quality"][crit] for o in observations.values()]
        order = _WORST.get(crit)
        quality[crit] = min(values, key=order.index) if order else values[0]
    img_quality = {}
    for image_id in images:
        qs = [
            o["localization"][image_id]["localization_quality"]
            for o in observations.values()
            if image_id in o["localization"]
        ]
        img_quality[image_id] = (
            min(qs, key=_WORST["localization_quality"].index) if qs else "NO_LOCALIZATION"
        )
    scene = {
        "patient_id": s.patient,
        "study_id": s.study,
        "sentences": sentences,
        "top_level_obs_ids": top,
        "observations": observations,
        "indication": indication,
        "regions": regions,
        "located_at_relations": located,
        "obs_relations": obs_rel,
        "obs_sent_relations": obs_sent,
        "region_region_relations": rr,
        "study_quality": quality,
        "study_img_localization_quality": img_quality,
        "images": {
            k: {
                "image_id": k,
                "view_position": v["view_position"],
                "width": v["width"],
                "height": v["height"],
                "path": f"images/{v['file']}" if v["file"] else None,
            }
            for k, v in images.items()
        },
        "study_order": s.order,
        "split": s.split,
    }
    meta = {
        "patient_id": s.patient,
        "study_id": s.study,
        "split": s.split,
        "procedure": "CHEST (PORTABLE AP)" if s.views[0] == "AP" else "CHEST (PA AND LAT)",
        "num_observations": len(observations),
        "timestamp_since_first": s.days,
        "study_order": s.order,
    }
    return scene, meta


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    last_day: dict[str, float] = {}
    for s in STUDIES:
        scene, meta = build_study(s)
        if s.patient in last_day:
            meta["timespan_since_prev"] = s.days - last_day[s.patient]
        last_day[s.patient] = s.days
        folder = OUT / s.patient[:3] / s.patient
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{s.study}.scene_graph.json").write_text(json.dumps(scene, indent=1) + "\n")
        (folder / f"{s.study}.metadata.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {len(STUDIES)} studies of {len({s.patient for s in STUDIES})} patients to {OUT}")


if __name__ == "__main__":
    main()
