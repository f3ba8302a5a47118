"""`cnnstudio open FILE [--screenshot OUT.png]`: the editor window (no subcommand: `run_window(None)`).

Imports nothing heavy at module level: every CLI start imports this file.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_START = time.perf_counter()


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("open", help="open a project in the editor window",
                              description="Open a .cnnproj project in the editor window.")
    p.add_argument("file", type=Path, help="the .cnnproj project to open")
    p.add_argument("--screenshot", type=Path, metavar="OUT.png",
                   help="render the window offscreen with the project loaded to OUT.png, then exit")
    p.add_argument("--size", default="1600x1000", metavar="WxH", help="window size for --screenshot")
    p.add_argument("--force", action="store_true", help="--screenshot: replace OUT.png even when it is not an "
                   "earlier screenshot's own, unchanged file")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.screenshot:
        return screenshot(args.file, args.screenshot, args.size, args.force)
    if not args.file.exists():
        print(f"cnnstudio open: {args.file}: no such file.", file=sys.stderr)
        return 2
    return run_window(args.file)


def _app(argv=None):
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication
    from ..gui import theme
    QCoreApplication.setOrganizationName("cnnstudio")
    QCoreApplication.setApplicationName("CNN Studio")
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    theme.apply(app)
    return app


def run_window(path) -> int:
    """The editor window; with `path`, that project is opened, else recovery/last project/gallery."""
    if no_display():
        print("cnnstudio: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset). "
              "Run it in a desktop session, or use the headless commands (cnnstudio --help) or "
              "`cnnstudio open FILE --screenshot OUT.png`.", file=sys.stderr)
        return 2
    platform = os.environ.get("QT_QPA_PLATFORM")
    if platform == "xcb" or (not platform and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        from ..gui.system_libs import message, missing_xcb_libraries
        missing = missing_xcb_libraries()
        if missing:
            print(message(missing), file=sys.stderr)
            return 2
    app = _app()
    from PySide6.QtCore import QTimer
    from ..gui.main_window import MainWindow
    win = MainWindow()
    if os.environ.get("CNNSTUDIO_BENCH_FIRST_PAINT"):
        _report_first_paint(win, app)
    win.show()
    if path is not None:
        QTimer.singleShot(0, lambda: win.docs.open_path(Path(path)))
    elif not os.environ.get("CNNSTUDIO_BENCH_FIRST_PAINT"):
        QTimer.singleShot(0, lambda: start_up(win))
    return app.exec()


def no_display() -> bool:
    """On Linux/BSD, Qt aborts the process when it finds no display: say so first instead."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def start_up(win) -> None:
    """Restore a crashed session's work, else reopen the last project, else the gallery (after a
    short tour, the first time)."""
    if win.docs.offer_recovery():
        return
    last = win.settings.value("last_project")
    if isinstance(last, str) and Path(last).exists() and win.docs.open_path(Path(last)):
        return
    win.docs.new_empty()
    if not win.settings.value("tour/seen", False, type=bool):  # the very first start: a short tour
        from ..gui.help import TourDialog
        win.settings.setValue("tour/seen", True)
        TourDialog(win).exec()
    win.docs.new_from_gallery()


def _report_first_paint(win, app) -> None:
    """For bench/editor.py: print the seconds to the first painted frame, then quit."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint and not getattr(self, "done", False):
                self.done = True
                QTimer.singleShot(0, lambda: (print(f"first-paint {time.perf_counter() - _START:.4f}",
                                                    flush=True), app.quit()))
            return False

    win._paint_watch = Watch()
    win.installEventFilter(win._paint_watch)


def _settle(app, ms: int = 150) -> None:
    """Let layouts and deferred dock placement finish before a grab."""
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)


def _drop_offscreen_noise() -> None:
    """Qt's offscreen platform warns "does not support propagateSizeHints()" for every window:
    nothing a user can act on, so a screenshot prints only its own line."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)
    qInstallMessageHandler(handler)


def screenshot(file: Path, out: Path, size: str = "1600x1000", force: bool = False) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        print(f"cnnstudio open: --size must look like 1600x1000, not {size!r}.", file=sys.stderr)
        return 2
    from ..core.project import outputs
    try:  # before a window is made: the answer is at once
        outputs.check([out], "screenshot", force, [(file, "the project being shown")])
    except outputs.Refused as e:
        print(f"cnnstudio open: {e.cli()}", file=sys.stderr)
        return 2
    app = _app()
    _drop_offscreen_noise()
    from ..core import ProjectError, load_project
    from ..gui.canvas.edits import place_missing
    from ..gui.canvas.layout import direction_of
    from ..gui.main_window import MainWindow
    from PySide6.QtCore import QSettings
    try:
        project = load_project(file)
    except ProjectError as e:
        print(f"cnnstudio open: {e}", file=sys.stderr)
        return 2
    # a throwaway settings file: a screenshot shows the default layout, not the user's
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        win = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat))
        win.resize(w, h)
        place_missing(project.graph, direction=direction_of(project))
        win.session.set_project(project, file)
        win.show()
        _settle(app)
        win.canvas.fit(animate=False)
        # show a layer with parameters in the properties panel: the first convolution
        first = next((n for n, node in project.graph.nodes.items() if node.type == "Conv2d"),
                     next(iter(project.graph.nodes), None))
        if first:
            win.session.select([first])
        _settle(app)
        image, fmt = win.grab(), (out.suffix[1:] or "png").upper()

        def write(tmp):
            if not image.save(tmp, fmt):
                raise OSError(f"the image could not be saved as {fmt}")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            outputs.write({out: write}, "screenshot", force, [(file, "the project being shown")])
            ok, why = True, ""
        except outputs.Refused as e:
            ok, why = False, e.cli()
        except OSError as e:
            ok, why = False, e.strerror or str(e)
        win.docs.journal.remove()
        win.close()
    if not ok:
        print(f"cnnstudio open: could not write {out} ({why}). Choose a path in a folder you can write to.",
              file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0
