"""Look and feel: Fusion style with a light or dark palette that follows the system,
category colours and icons (from resources/icons), and the canvas colours."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

# category → (icon file stem, accent colour); the SVGs use the same colours
CATEGORY_STYLE = {
    "Input": ("input", "#5b8def"), "Convolution": ("convolution", "#e8833a"),
    "Pooling": ("pooling", "#2fa37b"), "Normalization": ("normalization", "#8e6bd8"),
    "Regularization": ("regularization", "#7a8794"), "Activation": ("activation", "#d4a72c"),
    "Reshape": ("reshape", "#3aa6b9"), "Linear": ("linear", "#d9534f"),
    "Merge": ("merge", "#4f7fb3"), "Composite": ("composite", "#c2579a"),
}
ERROR = QColor("#e5484d")
WARNING = QColor("#d99a00")


def resources_dir() -> Path:
    """resources/ beside the package in a checkout, or inside it when installed."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "resources", here / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent / "resources"


@lru_cache(maxsize=None)
def icon(stem: str) -> QIcon:
    path = resources_dir() / "icons" / f"{stem}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def category_icon(category: str) -> QIcon:
    return icon(CATEGORY_STYLE.get(category, ("composite", ""))[0])


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_STYLE.get(category, ("", "#888888"))[1])


def is_dark() -> bool:
    """The system's scheme; CNNSTUDIO_THEME=dark or light overrides it."""
    forced = os.environ.get("CNNSTUDIO_THEME", "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    try:
        return app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5: judge by the window colour
        return app.palette().color(QPalette.Window).lightness() < 128


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    if dark:
        colors = {QPalette.Window: "#24262b", QPalette.WindowText: "#e6e6e6", QPalette.Base: "#1b1d21",
                  QPalette.AlternateBase: "#26292e", QPalette.Text: "#e6e6e6", QPalette.Button: "#2d3036",
                  QPalette.ButtonText: "#e6e6e6", QPalette.Highlight: "#3d7bfd",
                  QPalette.HighlightedText: "#ffffff", QPalette.ToolTipBase: "#2d3036",
                  QPalette.ToolTipText: "#e6e6e6", QPalette.PlaceholderText: "#8a8f98",
                  QPalette.Mid: "#3a3d44", QPalette.Dark: "#141518", QPalette.Light: "#3a3d44",
                  QPalette.Link: "#6ea0ff"}
    else:
        colors = {QPalette.Window: "#f3f4f6", QPalette.WindowText: "#1f2328", QPalette.Base: "#ffffff",
                  QPalette.AlternateBase: "#f6f7f9", QPalette.Text: "#1f2328", QPalette.Button: "#f8f9fa",
                  QPalette.ButtonText: "#1f2328", QPalette.Highlight: "#2b6cf0",
                  QPalette.HighlightedText: "#ffffff", QPalette.ToolTipBase: "#ffffff",
                  QPalette.ToolTipText: "#1f2328", QPalette.PlaceholderText: "#7a808a",
                  QPalette.Mid: "#d5d8dd", QPalette.Dark: "#a0a4ab", QPalette.Light: "#ffffff",
                  QPalette.Link: "#2b6cf0"}
    for role, c in colors.items():
        p.setColor(role, QColor(c))
    p.setColor(QPalette.Disabled, QPalette.Text, QColor("#7a808a"))
    p.setColor(QPalette.Disabled, QPalette.WindowText, QColor("#7a808a"))
    p.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#7a808a"))
    return p


# Fusion draws a check box's frame in a shade of the window colour: on a dark window it vanishes
DARK_QSS = """
QCheckBox::indicator { width: 13px; height: 13px; border: 1px solid #8a8f98; border-radius: 3px; background: #1b1d21; }
QCheckBox::indicator:hover { border-color: #b8bdc6; }
QCheckBox::indicator:checked { background: #3d7bfd; border-color: #3d7bfd; image: url("CHECK"); }
QCheckBox::indicator:disabled { border-color: #4a4e57; background: #24262b; }
QCheckBox::indicator:checked:disabled { background: #4a4e57; border-color: #4a4e57; }
"""


def _style(app) -> None:
    dark = is_dark()
    app.setPalette(_palette(dark))
    qss = resources_dir() / "style.qss"
    text = qss.read_text(encoding="utf-8") if qss.exists() else ""
    if dark:
        text += DARK_QSS.replace("CHECK", (resources_dir() / "icons" / "check.svg").as_posix())
    app.setStyleSheet(text)


def apply(app) -> None:
    """Fusion + our palette + resources/style.qss; re-applied when the system scheme flips."""
    app.setStyle("Fusion")
    _style(app)
    app.setWindowIcon(icon("app"))
    hints = app.styleHints()
    if hasattr(hints, "colorSchemeChanged") and not getattr(app, "_cnn_theme_hooked", False):
        hints.colorSchemeChanged.connect(lambda *_: _style(app))
        app._cnn_theme_hooked = True


class CanvasColors:
    """Colours for the canvas, read from the current palette so both schemes work."""

    def __init__(self):
        self.refresh()

    def refresh(self) -> None:
        """Re-read the scheme in place: items share this object, so they follow at once."""
        dark = is_dark()
        self.dark = dark
        self.background = QColor("#1e2024" if dark else "#fafbfc")
        self.grid = QColor("#2a2d33" if dark else "#eceef1")
        self.node = QColor("#2c2f36" if dark else "#ffffff")
        self.node_border = QColor("#4a4e57" if dark else "#c9cdd3")
        self.text = QColor("#e8e8e8" if dark else "#1f2328")
        self.muted = QColor("#9aa0a8" if dark else "#636a74")
        self.selected = QColor("#3d7bfd" if dark else "#2b6cf0")
        self.wire = QColor("#7d838c" if dark else "#8a9099")
        self.badge = QColor("#363a42" if dark else "#eef1f5")
