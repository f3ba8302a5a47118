"""`cnnstudio open FILE|MODEL [--screenshot OUT.png]`: the editor window (no subcommand:
`run_window(None)`) with a project, or with a model (.onnx, .pt2, torchvision:NAME, timm:NAME, a
factory) imported as an unsaved project, as a model viewer opens one.

Imports nothing heavy at module level: every CLI start imports this file.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_START = time.perf_counter()


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("open", help="open a project or any model in the editor window",
                              description="Open a .cnnproj project in the editor window, or a model as an "
                              "unsaved imported project (no -o needed: File → Save asks where, and saves its "
                              "weights beside it): a .onnx file, a .pt2 torch.export program, torchvision:NAME, "
                              "timm:NAME or package.module:factory. Exit 2 for a file or model that cannot be "
                              "opened.")
    p.add_argument("file", help="the .cnnproj project, model file or model name to open")
    p.add_argument("--weights", default="none", metavar="FILE", help="with torchvision:NAME, timm:NAME or a "
                   "factory: the model's weights (a safetensors or torch state dict file)")
    p.add_argument("--input-shape", metavar="C,H,W", help="a model's input size (default: the model's own)")
    p.add_argument("--screenshot", type=Path, metavar="OUT.png",
                   help="render the window offscreen with the project loaded to OUT.png, then exit")
    p.add_argument("--size", default="1600x1000", metavar="WxH", help="window size for --screenshot")
    p.add_argument("--force", action="store_true", help="--screenshot: replace OUT.png even when it is not an "
                   "earlier screenshot's own, unchanged file")
    p.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"cnnstudio open: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from ..core.project.sources import kind
    what = kind(args.file)
    if what == "weights":
        return _fail(f"{args.file} holds weights only: name the model they belong to, e.g. "
                     f"cnnstudio open torchvision:resnet18 --weights {args.file}")
    if args.weights != "none" and what != "model":
        return _fail("--weights goes with a model name (torchvision:NAME, timm:NAME or package.module:factory).")
    if what != "model" and args.input_shape:
        return _fail("--input-shape goes with a model, not a project.")
    if what != "model" or Path(args.file).suffix:
        if not Path(args.file).exists():
            return _fail(f"{args.file}: no such file.")
    shape = None
    if args.input_shape:
        from ..core.interop import InteropError, parse_shape
        try:
            shape = parse_shape(args.input_shape)
        except InteropError as e:
            return _fail(str(e))
    model = (args.file, args.weights, shape) if what == "model" else None
    if args.screenshot:
        return screenshot(Path(args.file), args.screenshot, args.size, args.force, model)
    return run_window(Path(args.file), model)


def _app(argv=None):
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication
    from ..gui import theme
    QCoreApplication.setOrganizationName("cnnstudio")
    QCoreApplication.setApplicationName("CNN Studio")
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    theme.apply(app)
    return app


def run_window(path, model=None) -> int:
    """The editor window; with `path`, that project is opened, else recovery/last project/gallery.
    `model` (source, weights, input shape): imported in the window as an unsaved project."""
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
    if model is not None:
        QTimer.singleShot(0, lambda: win.docs.open_any(*model))
    elif path is not None:
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


def screenshot(file: Path, out: Path, size: str = "1600x1000", force: bool = False, model=None) -> int:
    """`model` (source, weights, input shape): imported first, shown as the unsaved project it opens as."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        print(f"cnnstudio open: --size must look like 1600x1000, not {size!r}.", file=sys.stderr)
        return 2
    from ..core.project import outputs
    shown = [(file, "the model being shown" if model else "the project being shown")] if file.exists() else []
    try:  # before a window is made: the answer is at once
        outputs.check([out], "screenshot", force, shown)
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
    opened = None
    try:
        if model is None:
            project = load_project(file)
        else:
            from ..core.interop import InteropError
            from ..core.interop.open_model import open_model
            try:
                opened = open_model(*model)
            except InteropError as e:
                raise ProjectError(str(e)) from None
            project = opened.project
    except ProjectError as e:
        print(f"cnnstudio open: {e}", file=sys.stderr)
        return 2
    # a throwaway settings file: a screenshot shows the default layout, not the user's
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        win = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat))
        win.resize(w, h)
        place_missing(project.graph, direction=direction_of(project))
        if opened is None:
            win.session.set_project(project, file)
        else:  # as the window shows an opened model: unsaved, its weights held for the first save
            win.session.set_project(project, None, dirty=True)
            from ..gui.interop.open_model import shown_name
            win.docs.pending_weights, win.docs.imported_from = opened.weights, shown_name(model[0])
            win._update_title()
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
            outputs.write({out: write}, "screenshot", force, shown)
            ok, why = True, ""
        except outputs.Refused as e:
            ok, why = False, e.cli()
        except OSError as e:
            ok, why = False, e.strerror or str(e)
        win.docs.journal.remove()
        win.session.stack.set_clean()  # an opened model is unsaved: closing must not ask to save it
        win.close()
    if not ok:
        print(f"cnnstudio open: could not write {out} ({why}). Choose a path in a folder you can write to.",
              file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0
