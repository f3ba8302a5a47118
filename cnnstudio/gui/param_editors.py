"""One small editor widget per parameter kind, generated from the block's `Param` spec.

Each has `value()`, `set_value(v)` (silent) and a `changed` signal that fires once per
finished edit (Enter, focus out, a click or an arrow step), so one edit = one undo step.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QToolButton,
                               QWidget)

INT_MAX = 2**31 - 1


def _spin(lo, hi) -> QSpinBox:
    s = QSpinBox()
    s.setRange(int(lo if lo is not None else -INT_MAX), int(min(hi if hi is not None else INT_MAX, INT_MAX)))
    s.setKeyboardTracking(False)
    s.setAccelerated(True)
    s.setMinimumWidth(46)  # the range's widest number would make the panel too wide
    return s


class Editor(QWidget):
    changed = Signal()

    def __init__(self, param):
        super().__init__()
        self.param = param
        self._quiet = False
        self.lay = QHBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(4)
        self.setToolTip(param.help)

    def _emit(self, *_):
        if not self._quiet:
            self.changed.emit()

    def set_value(self, v) -> None:
        if self.value() == v:
            return  # already shown: setting it again would only repaint (every edit asks)
        self._quiet = True
        try:
            self._set(v)
        finally:
            self._quiet = False


class IntEditor(Editor):
    def __init__(self, param):
        super().__init__(param)
        self.spin = _spin(param.min, param.max)
        self.spin.valueChanged.connect(self._emit)
        self.lay.addWidget(self.spin)

    def value(self):
        return self.spin.value()

    def _set(self, v):
        self.spin.setValue(int(v))


class FloatEditor(Editor):
    def __init__(self, param):
        super().__init__(param)
        self.spin = QDoubleSpinBox()
        small = param.default and 0 < abs(param.default) < 1e-3
        self.spin.setDecimals(7 if small else 4)
        self.spin.setRange(param.min if param.min is not None else -1e9, param.max if param.max is not None else 1e9)
        self.spin.setSingleStep(1e-5 if small else (0.05 if (param.max or 0) <= 1 else 0.1))
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(60)
        self.spin.valueChanged.connect(self._emit)
        self.lay.addWidget(self.spin)

    def value(self):
        return round(self.spin.value(), self.spin.decimals())

    def _set(self, v):
        self.spin.setValue(float(v))


class BoolEditor(Editor):
    def __init__(self, param):
        super().__init__(param)
        self.box = QCheckBox()
        self.box.toggled.connect(self._emit)
        self.lay.addWidget(self.box)
        self.lay.addStretch(1)

    def value(self):
        return self.box.isChecked()

    def _set(self, v):
        self.box.setChecked(bool(v))


class ChoiceEditor(Editor):
    def __init__(self, param):
        super().__init__(param)
        self.combo = QComboBox()
        self.combo.setMinimumWidth(60)
        self.combo.addItems(list(param.choices))
        self.combo.currentTextChanged.connect(self._emit)
        self.lay.addWidget(self.combo)

    def value(self):
        return self.combo.currentText()

    def _set(self, v):
        self.combo.setCurrentText(str(v))


class SizeEditor(Editor):
    """int or one entry per dimension ([l], [h, w], [d, h, w]): a spin box each; the chain
    button keeps them equal (a single int)."""

    def __init__(self, param, with_none: bool = False):
        super().__init__(param)
        self.spins = [_spin(param.min, param.max) for _ in range(param.dims)]
        for spin in self.spins if param.dims > 2 else ():
            spin.setMinimumWidth(40)  # three boxes and the chain button fit the panel
        if param.dims >= 2:
            self.h, self.w = self.spins[-2:]
        self.link = None
        self.auto = None
        if with_none:  # nullable: e.g. pooling stride, empty = the window size
            self.auto = QCheckBox("auto")
            self.auto.setToolTip("Empty: " + param.help)
            self.auto.toggled.connect(self._auto_toggled)
            self.lay.addWidget(self.auto)
        for i, spin in enumerate(self.spins):
            if i:
                self.lay.addWidget(QLabel("×"))
            self.lay.addWidget(spin)
            spin.valueChanged.connect(lambda v, i=i: self._spin_changed(i, v))
        if param.dims > 1:
            self.link = QToolButton(text="=", checkable=True, checked=True,
                                    toolTip="Same size in every direction (one number)")
            self.lay.addWidget(self.link)
            self.link.toggled.connect(self._link_toggled)

    def _linked(self) -> bool:
        return self.link is None or self.link.isChecked()

    def _copy_to_all(self, v, skip=None):
        for j, spin in enumerate(self.spins):
            if j != skip and spin.value() != v:
                spin.blockSignals(True)
                spin.setValue(v)
                spin.blockSignals(False)

    def _spin_changed(self, i, v):
        if self._linked():
            self._copy_to_all(v, skip=i)
        self._emit()

    def _link_toggled(self, on):
        if on:
            self._copy_to_all(self.spins[0].value())
            self._emit()
        # unlinking alone changes nothing yet: the edit comes with the first different value

    def _auto_toggled(self, on):
        for wdg in self.spins + ([self.link] if self.link else []):
            wdg.setEnabled(not on)
        self._emit()

    def value(self):
        if self.auto is not None and self.auto.isChecked():
            return None
        values = [s.value() for s in self.spins]
        if self._linked() or len(set(values)) == 1:
            return values[0]
        return values

    def _set(self, v):
        if self.auto is not None:
            self.auto.setChecked(v is None)
            for wdg in self.spins + ([self.link] if self.link else []):
                wdg.setEnabled(v is not None)
        if v is None:
            return
        values = v if isinstance(v, list) and len(v) == len(self.spins) else [v[0] if isinstance(v, list) else v] * len(self.spins)
        if self.link:
            self.link.blockSignals(True)
            self.link.setChecked(False)
        for spin, x in zip(self.spins, values):
            spin.setValue(int(x))
        if self.link:
            self.link.setChecked(not isinstance(v, list))
            self.link.blockSignals(False)


class PaddingEditor(Editor):
    """A number (or [h, w]) of pixels, or "same" / "valid"."""

    def __init__(self, param):
        super().__init__(param)
        self.mode = QComboBox()
        self.mode.addItems(["pixels", "same", "valid"])
        self.mode.setMinimumWidth(60)
        self.mode.setToolTip('"same" keeps the size (stride 1); "valid" adds no border')
        self.size = SizeEditor(param)
        self.lay.addWidget(self.mode)
        self.lay.addWidget(self.size, 1)
        self.mode.currentTextChanged.connect(self._mode_changed)
        self.size.changed.connect(self._emit)

    def _mode_changed(self, text):
        self.size.setEnabled(text == "pixels")
        self._emit()

    def value(self):
        m = self.mode.currentText()
        return self.size.value() if m == "pixels" else m

    def _set(self, v):
        mode = v if v in ("same", "valid") else "pixels"
        self.mode.setCurrentText(mode)
        self.size.setEnabled(mode == "pixels")
        if mode == "pixels":
            self.size.set_value(v)


class ShapeEditor(Editor):
    """The input's shape: a signal [C, L], an image [C, H, W] or a volume [C, D, H, W]."""

    KINDS = ("signal", "image", "volume")

    def __init__(self, param):
        super().__init__(param)
        self.kind = QComboBox()
        self.kind.addItems(list(self.KINDS))
        self.kind.setCurrentText("image")
        self.kind.setToolTip("signal [C, L] (1-D), image [C, H, W] (2-D) or volume [C, D, H, W] (3-D)")
        self.lay.addWidget(self.kind)
        self._all, self._labels = [], []
        for i, name in enumerate(("channels", "depth", "height", "width")):
            if i:
                label = QLabel("×")
                self._labels.append(label)
                self.lay.addWidget(label)
            s = _spin(param.min, param.max)
            s.setToolTip(name)
            s.valueChanged.connect(self._emit)
            self._all.append(s)
            self.lay.addWidget(s)
        self.kind.currentTextChanged.connect(self._kind_changed)
        self._show()

    @property
    def spins(self) -> list:
        """The boxes in use: channels, then one per spatial dimension."""
        dims = self.KINDS.index(self.kind.currentText()) + 1
        return [self._all[0]] + self._all[4 - dims:]

    def _show(self):
        used = self.spins
        for s, label in zip(self._all[1:], self._labels):
            s.setVisible(s in used)
            label.setVisible(s in used)
        self._all[3].setToolTip("length" if len(used) == 2 else "width")

    def _kind_changed(self, _):
        width = self._all[3].value()
        for box in self.spins[1:]:
            if box.isHidden():  # a newly shown dimension starts as large as the width
                box.blockSignals(True)
                box.setValue(width)
                box.blockSignals(False)
        self._show()
        self._emit()

    def value(self):
        return [s.value() for s in self.spins]

    def _set(self, v):
        self.kind.blockSignals(True)
        self.kind.setCurrentText(self.KINDS[max(0, min(len(v) - 2, 2))])
        self.kind.blockSignals(False)
        self._show()
        for s, x in zip(self.spins, v):
            s.setValue(int(x))


def make_editor(param) -> Editor:
    if param.kind == "int":
        return IntEditor(param)
    if param.kind == "float":
        return FloatEditor(param)
    if param.kind == "bool":
        return BoolEditor(param)
    if param.kind == "choice":
        return ChoiceEditor(param)
    if param.kind == "size":
        return SizeEditor(param, with_none=param.nullable)
    if param.kind == "padding":
        return PaddingEditor(param)
    if param.kind == "shape":
        return ShapeEditor(param)
    raise ValueError(f"no editor for parameter kind {param.kind!r}")
