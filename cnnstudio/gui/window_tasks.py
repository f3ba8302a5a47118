"""What the editor window's menus do beyond editing the canvas and handling files:
import and export a model, add, rename or find a block, step
inside a block of your own, export the diagram and write the run's report.

A mixin of MainWindow (main_window.py).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFileDialog

from .canvas.diagram import FORMATS, export_diagram
from .report import ReportWriter


class WindowTasks:
    # --- editing helpers ---------------------------------------------------------------------
    def import_model(self):
        """Open the import dialog; the imported project opens when it is written."""
        from .interop.import_dialog import ImportDialog
        folder = str(self.session.path.parent) if self.session.path else ""
        self.import_dialog = ImportDialog(self, folder)
        self.import_dialog.imported.connect(self.docs.open_path)
        self.import_dialog.open()
        return self.import_dialog

    def export_model(self):
        from .interop.export_dialog import ExportDialog
        self.export_dialog = ExportDialog(self.session, self)
        self.export_dialog.open()
        return self.export_dialog

    def add_block_at_centre(self, type_: str) -> None:
        """A palette double-click: after the one selected block (wired to it), else mid-view."""
        sel = self.session.selection
        if len(sel) == 1:
            self.canvas.graph_scene.append_block(type_, sel[0])
            return
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        self.canvas.graph_scene.drop_block(type_, QPointF(centre))

    def edit_inside(self) -> bool:
        sel = self.session.selection
        if len(sel) != 1 or not self.session.enter(sel[0]):
            self.statusBar().showMessage("Select one block of your own (made with Make block) to edit inside it.", 6000)
            return False
        return True

    def rename_block(self) -> bool:
        from PySide6.QtWidgets import QInputDialog
        from .canvas.edits import rename
        sel = self.session.selection
        if len(sel) != 1:
            self.statusBar().showMessage("Select one block to rename it.", 6000)
            return False
        new, ok = QInputDialog.getText(self, "Rename block", f"New name for {sel[0]}:", text=sel[0])
        if not ok:
            return False
        command, why = rename(self.session.graph, sel[0], new)
        if command is None:
            if why:
                self.docs.error("Could not rename the block", why)
            return False
        self.session.push(command)
        self.session.select([new.strip()])
        return True

    def find_block(self) -> None:
        if not self.canvas.isVisible():
            self.workspaces.switch("design")
        self.canvas.overlay.open_find()

    # --- pictures and reports ------------------------------------------------------------------
    def export_diagram(self, path=None) -> bool:
        if not self.session.graph.nodes:
            self.statusBar().showMessage("The canvas is empty: nothing to export yet.", 6000)
            return False
        if path is None:
            start = (self.session.path.with_suffix(".png") if self.session.path else
                     Path.cwd() / (self.session.project.name + ".png"))
            filters = ";;".join(f"{what} (*{suffix})" for suffix, what in FORMATS.items())
            path, chosen = QFileDialog.getSaveFileName(self, "Export diagram", str(start), filters)
            if not path:
                return False
            if Path(path).suffix.lower() not in FORMATS:  # the filter the user picked says which
                path += next(s for s, what in FORMATS.items() if chosen.startswith(what))
        try:
            export_diagram(self.canvas.graph_scene, path)
        except (OSError, ValueError) as e:
            self.docs.error("Could not export the diagram", str(e))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 8000)
        return True

    def write_report(self, path=None) -> bool:
        run = self.session.run_dir
        if run is None:
            self.docs.error("No run to report on", "Train the network (Train workspace, Ctrl+2) or open a "
                            "run folder there first: the report shows a trained network.")
            return False
        if not hasattr(self, "reporter"):
            self.reporter = ReportWriter(self)
            self.reporter.finished.connect(lambda ok, line: self.statusBar().showMessage(line, 12000))
        if self.reporter.busy:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the report", str(run / "report.html"),
                                                  "HTML report (*.html)")
            if not path:
                return False
        self.statusBar().showMessage(f"Writing the report on {run.name}…")
        self.reporter.write(run, Path(path))
        return True
