"""Tools ▸ Train on My Photos…: fine-tune the colorizer or a sketch subject's generator on a folder of the user's
photos; the GUI face of `latent-studio train colorizer|sketch --subject NAME`.

The work is `app.core.finetune.run` as a job on the dialog's own worker (not exclusive: the core takes the
compute lock step by step, so one job uses the device at a time and the editor's previews take turns with the
training instead of waiting minutes). The job's updates (loss curve, ETA, held-out strip) arrive from the
worker thread through a queued signal; pixels become QImages here, on the GUI thread. Pause and Cancel stop
the job at a checkpoint (the core writes it before it stops); Resume, also after restarting the app (the
checkpoint is on disk, listed under "Unfinished"), runs the same name again, as the tool and subject it started
as (`user_models.trained_as`), whatever the Tool choice shows. The finished model appears in every model choice
(`model_choice.models_changed`): a colorizer in the Colorize panel's and the Batch dialog's, a sketch model in the
Sketch panel's, under its subject.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latent_studio.app.core import user_models
from latent_studio.app.core.finetune import FinetuneRequest, FinetuneResult, TrainUpdate, describe
from latent_studio.app.core.jobs import Job, Progress
from latent_studio.app.core.sketch_flow import SUBJECTS
from latent_studio.app.gui.batch_runner import format_eta
from latent_studio.app.gui.files import ask_folder
from latent_studio.app.gui.image_convert import to_qimage
from latent_studio.app.gui.job_buttons import job_buttons
from latent_studio.app.gui.loss_chart import BeforeAfterChart, LossChart
from latent_studio.app.gui.model_choice import models_changed
from latent_studio.app.gui.preferences import Preferences
from latent_studio.app.gui.worker import JobRunner
from latent_studio.models.errors import LatentStudioError

KIND = "train"
STRIP_HEIGHT = 56
COLUMNS = ("Gray", "Before", "After", "Photo")  # the strip's; a sketch subject's first column is its "Lines"
#: The Tool choice: (label, tool, subject) - the colorizer, then each sketch subject's generator.
TOOLS: tuple[tuple[str, str, str | None], ...] = (
    ("Colorizer", "colorizer", None),
    *((f"Sketch: {found.label}", "sketch", found.name) for found in SUBJECTS.values()),
)


def tool_key(tool: str, subject: str | None) -> str:
    """The Tool choice's item data: `colorizer` or `sketch:SUBJECT`."""
    return f"{tool}:{subject}" if subject else tool


def tool_label(tool: str, subject: str | None) -> str:
    return next((label for label, t, s in TOOLS if (t, s) == (tool, subject)), tool_key(tool, subject))


class _UpdateRelay(QObject):
    """Carries the core's TrainUpdates from the worker thread to the dialog (a queued connection)."""

    update = Signal(object)


def train_job(request: FinetuneRequest, relay: _UpdateRelay):
    def run(progress: Progress) -> FinetuneResult:
        from latent_studio.app.core import finetune

        return finetune.run(request, progress, relay.update.emit)

    return run


class TrainDialog(QDialog):
    """Folder, name, minutes; Start / Pause-Resume / Cancel; progress, ETA, loss curve, held-out strip, chart."""

    training_finished = Signal(str, str)  # outcome ("done", "paused", "cancelled", "failed"), message

    def __init__(self, preferences: Preferences, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train on My Photos")
        self.setMinimumWidth(640)
        self._preferences = preferences
        self._device = device or preferences.device
        self.runner = JobRunner(self, exclusive=False)
        self._relay = _UpdateRelay(self)
        self.extra: dict = {}  # more FinetuneRequest fields (the tests' tiny budgets: steps, crop, batch_size)
        self.state = "idle"  # idle | running | paused | done
        self._pausing = False
        self._request: FinetuneRequest | None = None
        self._step = 0
        self._build()
        self._relay.update.connect(self._on_update)
        self.runner.progress.connect(self._on_progress)
        self.runner.cancelled.connect(self._on_cancelled)
        self.refresh_unfinished()
        self._update_enabled()

    # --- building -----------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.tool = QComboBox()
        for label, tool, subject in TOOLS:
            self.tool.addItem(label, tool_key(tool, subject))
        self.tool.setToolTip(
            "The model that learns your photos: the colorizer, or the generator of a sketch subject (it learns to "
            "draw your photos back from their lines)"
        )
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder of your colour photos (sub-folders included)")
        self.browse_button = QPushButton("Browse…")
        folder_row = QWidget()
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse_button)
        self.name = QLineEdit()
        self.name.setPlaceholderText("family, holidays-1970 … (letters, digits, - and _)")
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.5, 24 * 60)
        self.minutes.setDecimals(1)
        self.minutes.setValue(10.0)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("How long this run trains, the held-out measures included")
        self.unfinished = QComboBox()
        self.resume_unfinished_button = QPushButton("Resume")
        self.unfinished_row = QWidget()
        row = QHBoxLayout(self.unfinished_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.unfinished, 1)
        row.addWidget(self.resume_unfinished_button)
        form = QFormLayout()
        form.addRow("Tool:", self.tool)
        form.addRow("Photos:", folder_row)
        form.addRow("Model name:", self.name)
        form.addRow("Time budget:", self.minutes)
        form.addRow("Unfinished:", self.unfinished_row)
        self._form = form

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.eta = QLabel("")
        self.loss_chart = LossChart()
        self.held_out = QLabel("")
        strip = QWidget()
        self.strip_grid = QGridLayout(strip)
        self.strip_grid.setContentsMargins(0, 0, 0, 0)
        self.strip_grid.setSpacing(4)
        self.strip_titles = [QLabel(title) for title in COLUMNS]
        for column, title in enumerate(self.strip_titles):
            self.strip_grid.addWidget(title, 0, column, Qt.AlignmentFlag.AlignHCenter)
        self.strip_labels: list[list[QLabel]] = []
        self.chart = BeforeAfterChart()
        self.chart.hide()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.start_button, self.pause_button, self.cancel_button, self.close_button, buttons = job_buttons()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addWidget(QLabel("Training loss:"))
        layout.addWidget(self.loss_chart, 1)
        layout.addWidget(self.held_out)
        below = QHBoxLayout()  # the strip and, at the end, the chart side by side: the dialog fits 800-px screens
        below.addWidget(strip, 3)
        below.addWidget(self.chart, 2)
        layout.addLayout(below)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)

        self.browse_button.clicked.connect(self._on_browse)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self.resume_unfinished_button.clicked.connect(self.resume_unfinished)

    # --- verbs (the tests' entry points) --------------------------------------------------------------------

    @property
    def chosen_tool(self) -> tuple[str, str | None]:
        """(tool, subject) of the Tool choice: ("colorizer", None) or ("sketch", "face")."""
        tool, _, subject = str(self.tool.currentData()).partition(":")
        return tool, subject or None

    def set_tool(self, tool: str, subject: str | None = None) -> None:
        self.tool.setCurrentIndex(max(self.tool.findData(tool_key(tool, subject)), 0))

    def request(self) -> FinetuneRequest:
        tool, subject = self.chosen_tool
        return FinetuneRequest(
            data=Path(self.folder.text().strip()),
            name=self.name.text().strip(),
            minutes=self.minutes.value(),
            device=self._device,
            command="Tools ▸ Train on My Photos…",
            tool=tool,
            subject=subject,
            **self.extra,
        )

    def start(self) -> None:
        """Check the fields, ask about an existing name, then train."""
        request = self.request()
        if not self.folder.text().strip():
            self._say("Choose a folder of your photos first.")
            return
        try:
            user_models.check_name(request.name)
        except LatentStudioError as error:
            self._say(str(error))
            return
        exists = user_models.is_user_model(request.name) or user_models.model_dir(request.name).exists()
        if exists and not self.ask_existing(request.name):
            self.name.setFocus()
            self.name.selectAll()
            self._say("Choose another name (or resume that model).")
            return
        if exists:  # resumed: as what it started as (a sketch model is not continued as a colorizer)
            self._adopt_tool(request.name)
            request = self.request()
        self._submit(request)

    def ask_existing(self, name: str) -> bool:
        """An existing name: True to resume (continue training) it, False to choose another name."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Model exists",
            f"You already have a model called '{name}'. Continue training it on this folder, or choose another name?",
            parent=self,
        )
        resume = box.addButton("Resume it", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Choose another name", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is resume

    def pause(self) -> None:
        """Stop at a checkpoint; the Pause button becomes Resume."""
        if self.state == "running":
            self._pausing = True
            self.pause_button.setEnabled(False)
            self.eta.setText("Pausing at a checkpoint…")
            self.runner.cancel(KIND)

    def resume(self) -> None:
        if self.state == "paused" and self._request is not None:
            self._submit(self.request_like(self._request))

    def request_like(self, request: FinetuneRequest) -> FinetuneRequest:
        """The same name, folder, tool and subject, with this dialog's budget now."""
        return FinetuneRequest(
            data=request.data,
            name=request.name,
            minutes=self.minutes.value(),
            device=self._device,
            command=request.command,
            tool=request.tool,
            subject=request.subject,
            **self.extra,
        )

    def cancel(self) -> None:
        """Stop training (the checkpoint is kept: the same name resumes it) or forget a paused one."""
        if self.state == "running":
            self._pausing = False
            self.runner.cancel(KIND)
        elif self.state == "paused":
            self.state = "idle"
            self._say("Stopped; the checkpoint is kept under Unfinished.")
            self._update_enabled()

    def resume_unfinished(self) -> None:
        """Continue the training chosen under Unfinished (a paused or interrupted run, e.g. before a restart)."""
        item = self.unfinished.currentData()
        if not item or self.state == "running":
            return
        name, data = item
        self.name.setText(name)
        self.folder.setText(data)
        self._adopt_tool(name)
        self._submit(self.request())

    def _adopt_tool(self, name: str) -> None:
        """Show (and so train) `name` as the tool and subject it started as, if it has started."""
        try:
            found = user_models.trained_as(name)
        except LatentStudioError:
            found = None  # an unreadable list: the run itself says so
        if found is not None:
            self.set_tool(*found)

    def refresh_unfinished(self) -> None:
        self.unfinished.clear()
        try:
            found = user_models.unfinished()
        except LatentStudioError:
            found = []
        for name, facts in found:
            tool = tool_label(*user_models.tool_of_base(facts.get("base", "colorizer")))
            self.unfinished.addItem(
                f"{name} ({tool}): step {facts.get('step', '?')}, {facts.get('data', '')}",
                (name, facts.get("data", "")),
            )
        self._form.setRowVisible(self.unfinished_row, bool(found))

    def shutdown(self) -> None:
        """The window is closing: stop at a checkpoint (Unfinished offers it at the next start)."""
        self.runner.cancel()
        self.runner.wait_for_done(60_000)

    # --- the job ---------------------------------------------------------------------------------------------

    def _submit(self, request: FinetuneRequest) -> None:
        self._request = request
        self._pausing = False
        self._step = 0
        self.state = "running"
        self.chart.hide()
        self.summary.setText("")
        sketch = request.tool == "sketch"
        self.strip_titles[0].setText("Lines" if sketch else COLUMNS[0])
        shipped = f"{SUBJECTS[request.subject or 'scene'].label.lower()} sketch model" if sketch else "colorizer"
        self.eta.setText(f"Reading the photos and measuring the shipped {shipped} on the held-out ones…")
        self.pause_button.setText("Pause")
        self.runner.submit(
            Job(KIND, train_job(request, self._relay), f"Training {request.name}"),
            on_result=self._on_finished,
            on_error=self._on_failed,
        )
        self._update_enabled()

    def _on_progress(self, _kind: str, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        if self._step == 0 and message:
            self.eta.setText(message)

    def _on_update(self, update: TrainUpdate) -> None:
        if self.state != "running":
            return
        self._step = update.step
        self.progress.setValue(round(update.fraction * 950))
        self.loss_chart.set_points(update.losses)
        loss = f", loss {update.losses[-1][1]:.3f}" if update.losses else ""
        self.eta.setText(
            f"Step {update.step}{loss}  ·  {update.crops_per_second:.1f} crops/s  ·  "
            f"ETA {format_eta(update.eta_seconds)}"
        )
        if update.held_out:
            b, a = update.held_out["before"], update.held_out["after"]
            self.held_out.setText(
                f"Held-out photos ({a.get('photos', '?')}): PSNR {b['psnr']:.2f} → "
                f"{a['psnr']:.2f} dB, colourfulness {b['colourfulness']:.1f} → "
                f"{a['colourfulness']:.1f}"
            )
        if update.strip:
            self.show_strip(update.strip)

    def show_strip(self, rows: list) -> None:
        """Rows of gray | before | after | photo, each picture scaled to STRIP_HEIGHT."""
        for row_index, row in enumerate(rows):
            if row_index >= len(self.strip_labels):
                labels = [QLabel() for _ in COLUMNS]
                for column, label in enumerate(labels):
                    self.strip_grid.addWidget(label, row_index + 1, column, Qt.AlignmentFlag.AlignHCenter)
                self.strip_labels.append(labels)
            for label, pixels in zip(self.strip_labels[row_index], row, strict=False):
                image = to_qimage(pixels).scaledToHeight(STRIP_HEIGHT, Qt.TransformationMode.SmoothTransformation)
                label.setPixmap(QPixmap.fromImage(image))

    def _on_finished(self, result: FinetuneResult) -> None:
        self.state = "done"
        self.progress.setValue(1000)
        self.eta.setText(f"Finished: {result.steps} steps, {result.crops_per_second:.1f} crops/s")
        self.chart.set_metrics(result.before, result.after)
        self.chart.show()
        if result.strip:
            self.show_strip(result.strip)
        tool, subject = (self._request.tool, self._request.subject) if self._request else ("colorizer", None)
        where = (
            f"the Sketch panel's Model choice (subject {SUBJECTS[subject or 'scene'].label})"
            if tool == "sketch"
            else "the Colorize panel's and the Batch dialog's model choice"
        )
        self._say(describe(result) + f"\nIt is now in {where}.")
        self.refresh_unfinished()
        self._update_enabled()
        models_changed()
        self.training_finished.emit("done", self.summary.text())

    def _on_failed(self, message: str) -> None:
        self.state = "idle"
        self.progress.setValue(0)
        self.eta.setText("")
        self._say(message)
        self.refresh_unfinished()
        self._update_enabled()
        self.training_finished.emit("failed", message)

    def _on_cancelled(self, _kind: str) -> None:
        name = self._request.name if self._request else ""
        if self._pausing:
            self.state = "paused"
            self.pause_button.setText("Resume")
            self._say(
                f"Paused at step {self._step}; the checkpoint is saved. Resume continues '{name}' (also after "
                "restarting the app)."
            )
        else:
            self.state = "idle"
            self._say(f"Cancelled at step {self._step}; the checkpoint is kept: start '{name}' again to continue.")
        self._pausing = False
        self.eta.setText("")
        self.refresh_unfinished()
        self._update_enabled()
        self.training_finished.emit("paused" if self.state == "paused" else "cancelled", self.summary.text())

    # --- slots and helpers ------------------------------------------------------------------------------------

    def _on_browse(self) -> None:
        folder = ask_folder(self, self._preferences, "Choose a folder of your photos", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _on_pause_clicked(self) -> None:
        (self.resume if self.state == "paused" else self.pause)()

    def _say(self, text: str) -> None:
        self.summary.setText(text)

    def _update_enabled(self) -> None:
        running = self.state == "running"
        for widget in (
            self.tool,
            self.folder,
            self.browse_button,
            self.name,
            self.minutes,
            self.unfinished,
            self.resume_unfinished_button,
        ):
            widget.setEnabled(not running)
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled((running and not self._pausing) or self.state == "paused")
        self.cancel_button.setEnabled(running or self.state == "paused")
