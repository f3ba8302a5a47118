"""Runs trained before the project was first saved live in the user's data folder; when the
project gets a file, offer to move them beside it (lenet5.cnnproj → lenet5.runs/)."""
from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import QMessageBox


def offer_to_keep(parent, runs: list[Path], dest: Path) -> list[Path]:
    """Ask, then move each finished run in `runs` into `dest`. → the runs' new folders."""
    runs = [r for r in runs if r.is_dir() and r.parent != dest]
    if not runs:
        return []
    answer = QMessageBox.question(parent, "Keep the runs with the project?",
                                  f"{len(runs)} run(s) were trained before the project was saved and are in "
                                  f"{runs[0].parent}. Move them beside the project, into {dest}?",
                                  QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
    if answer != QMessageBox.Yes:
        return []
    moved = []
    dest.mkdir(parents=True, exist_ok=True)
    for r in runs:
        target = dest / r.name
        if target.exists():
            continue
        shutil.move(str(r), str(target))  # a rename on the same disk
        moved.append(target)
    return moved
