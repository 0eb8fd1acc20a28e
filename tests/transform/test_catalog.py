"""The detection catalog seed is the one list of detections: the rules, the docs and the ATT&CK
seed agree with it."""

from __future__ import annotations

import csv
import re

from tests.services import PROJECT_ROOT

from .support import TRANSFORM

SEEDS = TRANSFORM / "seeds"
SEVERITIES = {"info", "low", "medium", "high", "critical"}
SUBJECT_TYPES = {"login_key", "ip", "actor", "user"}


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _rule_ids() -> list[str]:
    """The detections the rules define (macros/detection_settings.sql), in order."""
    text = (TRANSFORM / "macros" / "detection_settings.sql").read_text(encoding="utf-8")
    return re.findall(r"^\s*'([a-z_]+)': \{'enabled'", text, flags=re.MULTILINE)


def test_the_catalog_has_one_complete_row_per_detection() -> None:
    catalog = _rows("openai_audit_detection_catalog.csv")
    assert [row["detection_id"] for row in catalog] == _rule_ids()
    assert len(catalog) == 17
    for row in catalog:
        assert row["severity"] in SEVERITIES, row["detection_id"]
        assert row["subject_type"] in SUBJECT_TYPES, row["detection_id"]
        assert all(row[field].strip() for field in ("title", "description", "next_steps")), row
        assert row["false_positives"].strip(), row["detection_id"]
        if row["detection_id"] == "activity_after_user_deleted":
            assert row["dedup_minutes"] == ""
        else:
            assert int(row["dedup_minutes"]) > 0, row["detection_id"]


def test_every_technique_of_the_catalog_has_its_tactics() -> None:
    techniques = _rows("openai_audit_attack_techniques.csv")
    known = {row["technique_id"] for row in techniques}
    for row in _rows("openai_audit_detection_catalog.csv"):
        named = row["mitre_attack"].split("|")
        assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", technique) for technique in named), row
        assert set(named) <= known, row["detection_id"]
    for row in techniques:
        assert re.fullmatch(r"TA\d{4}", row["tactic_id"]), row
        assert (row["parent_id"] == "") == ("." not in row["technique_id"]), row
        assert row["technique_id"].startswith(row["parent_id"]), row


def test_the_docs_table_of_detections_is_the_catalog() -> None:
    docs = (PROJECT_ROOT / "docs" / "transform.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- detections: generated[^>]*-->\n(.*?)<!-- detections: end -->", docs, re.DOTALL
    )
    assert block, "docs/transform.md lost its table of detections"
    lines = [line for line in block.group(1).splitlines() if line.startswith("|")][2:]
    documented = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    expected = [
        [
            f"`{row['detection_id']}`",
            row["title"],
            row["severity"],
            row["subject_type"],
            row["dedup_minutes"] or "per deletion",
            ", ".join(row["mitre_attack"].split("|")),
        ]
        for row in _rows("openai_audit_detection_catalog.csv")
    ]
    assert documented == expected
