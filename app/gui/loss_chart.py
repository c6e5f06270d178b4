"""Two small charts for the training dialog, painted with QPainter (no plotting library):

- `LossChart`: the training loss against the step, as a polyline (the whole curve, resumes included);
- `BeforeAfterChart`: held-out PSNR and colourfulness, before (the shipped model: the colorizer or a sketch
  subject's generator) and after fine-tuning, as bars (colourfulness also shows the originals' own, the level
  real photos have).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

AXIS = QColor("#8e949e")
LINE = QColor("#4aa3ff")
BEFORE = QColor("#9aa0a6")
AFTER = QColor("#4aa3ff")
ORIGINAL = QColor("#e0b050")


def _nice(value: float) -> str:
    return f"{value:.3g}"


class LossChart(QWidget):
    """The loss curve; `set_points([(step, loss), ...])` repaints it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, float]] = []
        self.setMinimumSize(320, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_points(self, points: Sequence[tuple[int, float]]) -> None:
        self.points = [(int(s), float(v)) for s, v in points]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(44, 8, -8, -20)
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())
        if not self.points:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "The loss appears here as training runs")
            return
        steps = [s for s, _ in self.points]
        losses = [v for _, v in self.points]
        s0 = min(steps)
        s1 = max(*steps, s0 + 1)
        low, high = min(losses), max(losses)
        if high - low < 1e-9:
            low, high = low - 0.5, high + 0.5
        painter.drawText(QRectF(0, area.top() - 6, 40, 14), Qt.AlignmentFlag.AlignRight, _nice(high))
        painter.drawText(QRectF(0, area.bottom() - 8, 40, 14), Qt.AlignmentFlag.AlignRight, _nice(low))
        painter.drawText(QRectF(area.left(), area.bottom() + 2, 80, 16), Qt.AlignmentFlag.AlignLeft, f"step {s0}")
        painter.drawText(
            QRectF(area.right() - 80, area.bottom() + 2, 80, 16), Qt.AlignmentFlag.AlignRight, f"step {s1}"
        )

        def at(step: int, loss: float) -> QPointF:
            x = area.left() + (step - s0) / (s1 - s0) * area.width()
            y = area.bottom() - (loss - low) / (high - low) * area.height()
            return QPointF(x, y)

        painter.setPen(QPen(LINE, 1.6))
        points = [at(s, v) for s, v in self.points]
        if len(points) == 1:
            painter.setBrush(LINE)
            painter.drawEllipse(points[0], 3, 3)
        else:
            painter.drawPolyline(QPolygonF(points))


class BeforeAfterChart(QWidget):
    """Bars of held-out PSNR (dB) and colourfulness, before and after; `set_metrics(before, after)` shows them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.before: dict | None = None
        self.after: dict | None = None
        self.setMinimumSize(300, 150)

    def set_metrics(self, before: dict | None, after: dict | None) -> None:
        self.before, self.after = before, after
        self.update()

    def groups(self) -> list[tuple[str, float, list[tuple[str, float, QColor]]]]:
        """(title, axis floor, [(label, value, colour), ...]) per group of bars (also what the tests read); PSNR
        bars start a few dB below the lower value, so a change of tenths of a dB is visible."""
        if not self.before or not self.after:
            return []
        b, a = self.before, self.after
        floor = max(0.0, int(min(b["psnr"], a["psnr"])) - 2.0)
        return [
            ("Held-out PSNR (dB)", floor, [("before", b["psnr"], BEFORE), ("after", a["psnr"], AFTER)]),
            (
                "Colourfulness",
                0.0,
                [
                    ("before", b["colourfulness"], BEFORE),
                    ("after", a["colourfulness"], AFTER),
                    ("photos", a.get("colourfulness_original", 0.0), ORIGINAL),
                ],
            ),
        ]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        groups = self.groups()
        if not groups:
            painter.setPen(AXIS)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Before / after appears when training ends")
            return
        width = self.width() / len(groups)
        for index, (title, floor, bars) in enumerate(groups):
            box = QRectF(index * width + 10, 4, width - 20, self.height() - 8)
            painter.setPen(AXIS)
            painter.drawText(QRectF(box.left(), box.top(), box.width(), 16), Qt.AlignmentFlag.AlignCenter, title)
            plot = box.adjusted(0, 34, 0, -18)
            top = max(max(value for _, value, _ in bars) - floor, 1e-6)
            bar_width = plot.width() / len(bars)
            for i, (label, value, colour) in enumerate(bars):
                height = max(0.0, value - floor) / top * plot.height()
                bar = QRectF(plot.left() + i * bar_width + 6, plot.bottom() - height, bar_width - 12, height)
                painter.fillRect(bar, colour)
                painter.setPen(AXIS)
                painter.drawText(
                    QRectF(bar.left() - 8, bar.top() - 16, bar.width() + 16, 14),
                    Qt.AlignmentFlag.AlignCenter,
                    f"{value:.2f}" if floor else f"{value:.1f}",  # PSNR: hundredths of a dB matter
                )
                painter.drawText(
                    QRectF(bar.left() - 8, plot.bottom() + 2, bar.width() + 16, 14), Qt.AlignmentFlag.AlignCenter, label
                )
            painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
            if floor:
                painter.drawText(
                    QRectF(plot.left() - 10, plot.bottom() - 7, 30, 14), Qt.AlignmentFlag.AlignLeft, f"{floor:g}"
                )
