"""What the tool itself writes into a results folder besides a sweep's own files is not foreign."""

from __future__ import annotations

from simulation.experiments.store import ResultsFolder


def test_discover_export_targets_and_scores_are_the_tools_own(tmp_path):
    folder = ResultsFolder(tmp_path / "r")
    folder.root.mkdir()
    manifest = {"scenarios": {"a": {}}, "runs": [{"run_id": "a-p0000-r000"}]}
    (folder.root / "manifest.json").write_text("{}")
    for name in ("targets.csv", "scores.csv", "burnin.csv", "aggregates.csv"):
        (folder.root / name).write_text("x\n")
    (folder.root / "discover" / "box").mkdir(parents=True)
    (folder.root / "discover" / "box" / "box.csv").write_text("x\n")
    (folder.root / "export").mkdir()
    assert folder.foreign_entries(manifest) == []
    # ... and --force removes the sweep's files but keeps what discover and export made
    removal = {p.relative_to(folder.root).as_posix() for p in folder.planned_removal(manifest)}
    assert "targets.csv" in removal and not any(r.startswith(("discover", "export")) for r in removal)
    (folder.root / "notes.txt").write_text("mine\n")
    assert folder.foreign_entries(manifest) == ["notes.txt"]
