"""File ▸ Batch Process…: colorize, sketch or face-edit a whole folder; the GUI face of `latent-studio batch`.

The dialog only collects options and shows what happens; the work is `app.gui.batch_runner.BatchSession`
(the engine on a worker thread). It is modeless and kept by the window: closing it while a batch runs hides
it and the batch goes on; reopening shows the progress. Bad files are listed as they fail, with the reason.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latent_studio.app.core.batch import REPORT, list_sources, replaceable_in_place
from latent_studio.app.core.batch_ray import ray_available
from latent_studio.app.core.batch_setup import BatchRequest
from latent_studio.app.core.sketch_flow import DEFAULT_SUBJECT, SUBJECTS
from latent_studio.app.gui.batch_runner import BatchSession, RateMeter, format_eta
from latent_studio.app.gui.files import ask_folder
from latent_studio.app.gui.job_buttons import job_buttons
from latent_studio.app.gui.model_choice import ModelChoice
from latent_studio.app.gui.preferences import Preferences

TOOLS = (("colorize", "Colorize"), ("sketch", "Sketch to image"), ("edit", "Face edit"))
FORMATS = (("same", "Same as input"), ("png", "PNG"), ("jpg", "JPEG"), ("webp", "WebP"), ("tif", "TIFF"))


def parse_attrs(text: str) -> tuple[str, ...]:
    """'young=+1.5, female=-1' -> ('young=+1.5', 'female=-1'); the tool checks the syntax and names."""
    return tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


class BatchDialog(QDialog):
    """Options, Start / Pause / Cancel, a progress bar with images/s and ETA, and the list of failures."""

    batch_finished = Signal(str, str)  # outcome ("done", "cancelled", "failed"), summary or error message

    def __init__(self, preferences: Preferences, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch Process")
        self.setMinimumWidth(620)
        self._preferences = preferences
        self._device = device or preferences.device
        self.session = BatchSession(self)
        self.meter = RateMeter()
        self._total = self._seen = 0
        self._report = Path(REPORT)  # the running batch's CSV report (in its output folder)
        self._build()
        self.session.planned.connect(self._on_planned)
        self.session.item_finished.connect(self._on_item)
        self.session.finished.connect(self._on_finished)
        self._update_enabled()

    # --- building -----------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.tool = QComboBox()
        for name, label in TOOLS:
            self.tool.addItem(label, name)
        self.working_size = QSpinBox()
        self.working_size.setRange(64, 2048)
        self.working_size.setSingleStep(64)
        self.working_size.setSuffix(" px")
        self.working_size.setValue(self._preferences.working_size)
        self.vividness = QSpinBox()
        self.vividness.setRange(0, 100)
        self.vividness.setSingleStep(10)
        self.vividness.setSuffix(" %")
        self.vividness.setToolTip(
            "0 %: natural colours, the most accurate; 100 %: close to real photos' "
            "colourfulness, with more wrong guesses (as the Colorize panel's Vividness slider)."
        )
        self.model_choice = ModelChoice()  # colorize: the shipped colorizer or one of the user's own
        self.subject = QComboBox()  # sketch: which generator; the working size follows its own
        for index, choice in enumerate(SUBJECTS.values()):
            self.subject.addItem(choice.label, choice.name)
            self.subject.setItemData(index, choice.description, Qt.ItemDataRole.ToolTipRole)
        self.subject.setCurrentIndex(self.subject.findData(DEFAULT_SUBJECT))
        self.attrs = QLineEdit()
        self.attrs.setPlaceholderText("young=+1.5, female=-1")
        self.attrs.setToolTip("Directions to move each face along, in sigmas (as in the Latent panel's sliders).")
        self._browse_buttons: list[QPushButton] = []
        self.in_dir, in_row = self._folder_row("Choose the input folder")
        self.out_dir, out_row = self._folder_row("Choose the output folder")
        self.in_place = QCheckBox("Replace the originals (in place)")
        self.in_place.setToolTip(
            "Write each result over its own picture, in its own file and format (atomically); "
            "no output folder. BMP and GIF pictures, which are not written, are reported."
        )
        self.recursive = QCheckBox("Include sub-folders (the tree is mirrored)")
        self.output_format = QComboBox()
        for name, label in FORMATS:
            self.output_format.addItem(label, name)
        self.existing = QComboBox()
        self.existing.addItem("Skip finished outputs (resume)", False)
        self.existing.addItem("Overwrite existing outputs", True)
        self.engine = QComboBox()  # offered only where Ray is installed (the 'cluster' extra)
        self.engine.addItem("Local", "local")
        self.engine.addItem("Ray (address)", "ray")
        self.ray_address = QLineEdit()
        self.ray_address.setPlaceholderText("empty: a local Ray runtime; or HOST:PORT of a cluster")
        self.ray_address.setToolTip(
            "The head of a cluster started with `ray start --head`; every node must see the "
            "input and output folders at the same paths."
        )
        self.engine_row = QWidget()
        engine_layout = QHBoxLayout(self.engine_row)
        engine_layout.setContentsMargins(0, 0, 0, 0)
        engine_layout.addWidget(self.engine)
        engine_layout.addWidget(self.ray_address, 1)

        form = QFormLayout()
        form.addRow("Tool:", self.tool)
        form.addRow("Working size:", self.working_size)
        form.addRow("Vividness:", self.vividness)
        form.addRow("Model:", self.model_choice)
        form.addRow("Subject:", self.subject)
        form.addRow("Attributes:", self.attrs)
        form.addRow("Input folder:", in_row)
        form.addRow("Output folder:", out_row)
        form.addRow("", self.in_place)
        form.addRow("", self.recursive)
        form.addRow("Output format:", self.output_format)
        form.addRow("Existing outputs:", self.existing)
        form.addRow("Engine:", self.engine_row)
        form.setRowVisible(self.engine_row, ray_available())
        self._form = form

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate = QLabel("")
        self.failures = QTableWidget(0, 2)
        self.failures.setHorizontalHeaderLabels(["File", "Reason"])
        self.failures.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.failures.horizontalHeader().setStretchLastSection(True)
        self.failures.verticalHeader().setVisible(False)
        self.failures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.failures.setMinimumHeight(120)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.start_button, self.pause_button, self.cancel_button, self.close_button, buttons = job_buttons()
        self.pause_button.setCheckable(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate)
        layout.addWidget(QLabel("Failed files:"))
        layout.addWidget(self.failures, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)

        self.tool.currentIndexChanged.connect(self._update_enabled)
        self.tool.currentIndexChanged.connect(self._on_subject)
        self.subject.currentIndexChanged.connect(self._on_subject)
        self.engine.currentIndexChanged.connect(self._update_enabled)
        self.in_place.toggled.connect(self._update_enabled)
        self.start_button.clicked.connect(self.start)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.cancel_button.clicked.connect(self.session.cancel)
        self.close_button.clicked.connect(self.close)

    def _folder_row(self, title: str) -> tuple[QLineEdit, QWidget]:
        edit = QLineEdit()
        browse = QPushButton("Browse…")
        self._browse_buttons.append(browse)
        browse.clicked.connect(lambda: self._choose_folder(edit, title))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(browse)
        return edit, row

    def _choose_folder(self, edit: QLineEdit, title: str) -> None:
        folder = ask_folder(self, self._preferences, title, edit.text())
        if folder:
            edit.setText(folder)

    # --- verbs (the tests' entry points) ----------------------------------------------------------------------

    def request(self) -> BatchRequest:
        in_place = self.in_place.isChecked()  # the output folder is the input folder, each picture in its format
        in_dir = self.in_dir.text().strip()
        return BatchRequest(
            tool=self.tool.currentData(),
            in_dir=in_dir,
            out_dir=in_dir if in_place else self.out_dir.text().strip(),
            recursive=self.recursive.isChecked(),
            output_format="same" if in_place else self.output_format.currentData(),
            overwrite=bool(self.existing.currentData()),
            in_place=in_place,
            working_size=self.working_size.value(),
            attrs=parse_attrs(self.attrs.text()) if self.tool.currentData() == "edit" else (),
            vividness=self.vividness.value() / 100 if self.tool.currentData() == "colorize" else 0.0,
            model=self.model_choice.name if self.tool.currentData() == "colorize" else "colorizer",
            subject=self.subject.currentData() if self.tool.currentData() == "sketch" else DEFAULT_SUBJECT,
            device=self._device,
            ray_address=self.ray_address.text().strip() if self._on_ray() else None,
        )

    def start(self) -> None:
        request = self.request()
        if request.in_place and not request.in_dir:
            self.summary.setText("Choose the folder whose pictures to replace first.")
            return
        if not request.in_dir or not request.out_dir:
            self.summary.setText("Choose an input folder and an output folder first.")
            return
        if request.in_place and not self.confirm_in_place(request):
            self.summary.setText("Nothing was replaced.")
            return
        self._report = Path(request.out_dir) / REPORT
        self.failures.setRowCount(0)
        self._total = self._seen = 0
        self.progress.setRange(0, 0)  # busy until the plan gives the total
        self.rate.setText("Loading the model and listing the pictures…")
        self.summary.setText("")
        self.pause_button.setChecked(False)
        self.meter.start()
        self.session.start(request)
        self._update_enabled()

    def confirm_in_place(self, request: BatchRequest) -> bool:
        """Ask before replacing originals, saying how many (an unreadable folder: the batch itself says why)."""
        folder = Path(request.in_dir)
        try:
            count = sum(replaceable_in_place(path) for path in list_sources(folder, folder, request.recursive))
        except OSError:
            return True
        if count == 0:
            return True
        answer = QMessageBox.question(self, "Replace the originals", in_place_question(count, request.in_dir))
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """The window is closing: stop the batch (a re-run resumes it)."""
        self.session.shutdown()

    # --- slots ------------------------------------------------------------------------------------------------

    def _on_planned(self, total: int) -> None:
        self._total = total
        self.meter.start()  # the rate counts from here: model loading and listing are not image time
        if self.session.is_paused():
            self.meter.pause()
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        self.rate.setText(f"0 / {total}")

    def _on_item(self, result) -> None:
        self._seen += 1
        if result.status != "skipped":
            self.meter.count += 1
        if result.status == "failed":
            row = self.failures.rowCount()
            self.failures.insertRow(row)
            name = QTableWidgetItem(str(_relative(result.source, self.in_dir.text())))
            name.setToolTip(str(result.source))
            reason = QTableWidgetItem(result.error)
            reason.setToolTip(result.error)
            self.failures.setItem(row, 0, name)
            self.failures.setItem(row, 1, reason)
        self.progress.setValue(self._seen)
        remaining = max(0, self._total - self._seen)
        eta = format_eta(self.meter.eta(remaining))
        self.rate.setText(f"{self._seen} / {self._total}  ·  {self.meter.rate():.1f} images/s  ·  ETA {eta}")

    def _on_finished(self, outcome: str, message: str) -> None:
        self.pause_button.setChecked(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        if outcome == "done":
            report = self._report
            self.summary.setText(message + (f"; the reasons are also in {report}" if self.failures.rowCount() else ""))
            self.rate.setText(f"{self._seen} / {self._total}  ·  {self.meter.rate():.1f} images/s  ·  finished")
        elif outcome == "cancelled":
            self.summary.setText(f"Cancelled after {self._seen} of {self._total} pictures; start again to resume.")
        else:
            self.summary.setText(message)
            self.rate.setText("")
        self._update_enabled()
        self.batch_finished.emit(outcome, self.summary.text())

    def _on_subject(self, *_: object) -> None:
        """Sketch: the working size becomes the chosen subject's own (the scale its generator was trained at)."""
        if self.tool.currentData() == "sketch":
            chosen = SUBJECTS[self.subject.currentData()]
            self.working_size.setValue(chosen.resolution)
            self.subject.setToolTip(chosen.description)

    def _on_pause_toggled(self, paused: bool) -> None:
        self.session.set_paused(paused)
        (self.meter.pause if paused else self.meter.resume)()
        self.pause_button.setText("Resume" if paused else "Pause")

    def _update_enabled(self, *_: object) -> None:
        running = self.session.is_running()
        tool = self.tool.currentData()
        in_browse, out_browse = self._browse_buttons
        for widget in (self.tool, self.in_dir, in_browse, self.in_place, self.recursive, self.existing):
            widget.setEnabled(not running)
        in_place = self.in_place.isChecked()  # no output folder, and each picture keeps its own format
        for widget in (self.out_dir, out_browse, self.output_format):
            widget.setEnabled(not running and not in_place)
        self.working_size.setEnabled(not running and tool in ("colorize", "sketch"))
        self.attrs.setEnabled(not running and tool == "edit")
        self._form.setRowVisible(self.attrs, tool == "edit")
        self.vividness.setEnabled(not running and tool == "colorize")
        self._form.setRowVisible(self.vividness, tool == "colorize")
        self.model_choice.setEnabled(not running and tool == "colorize")
        self._form.setRowVisible(self.model_choice, tool == "colorize")
        self.subject.setEnabled(not running and tool == "sketch")
        self._form.setRowVisible(self.subject, tool == "sketch")
        self.engine.setEnabled(not running)
        self.ray_address.setEnabled(not running and self._on_ray())
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)

    def _on_ray(self) -> bool:
        return self.engine.currentData() == "ray" and ray_available()


def in_place_question(count: int, folder: str) -> str:
    """What the dialog asks before an in-place batch replaces `count` originals in `folder`."""
    pictures = f"{count} picture{'s' * (count != 1)}"
    return (
        f"Replace the originals: {pictures} in {folder} will be overwritten with their results, each in its own "
        "file. The originals cannot be recovered. Continue?"
    )


def _relative(path: Path, root: str) -> Path:
    try:
        return Path(path).relative_to(Path(root).resolve())
    except ValueError:
        return Path(path)
