"""The photo gallery of a case (all of it, or one visit) or of an assist record.

A thumbnail grid (QListView in icon mode over :class:`PhotoListModel`; thumbnails fill in
from a worker), with the actions a field engineer needs on site: add photos (file dialog,
drag and drop, paste, camera), view full size, draw on a photo, caption, order, before/after
pairs, delete with undo and a list of deleted photos to restore. Every database or file
operation runs in a worker; the gallery shows the result when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.models.enums import BeforeAfter
from fieldsupport.services.photos import (
    CAPTION_LEN,
    ImportSummary,
    Outcome,
    PhotoOwner,
    PhotoService,
    PhotoView,
)
from fieldsupport.services.views import VisitView
from fieldsupport.ui.flow_layout import FlowLayout
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.photo_grid import FILE_FILTER, STRIP_EDGE, PhotoGridView
from fieldsupport.ui.photo_import import (
    ImportSummaryDialog,
    error_text,
    files_in,
    image_in,
    start_import,
    summary_text,
)
from fieldsupport.ui.photo_model import ICON_EDGE, PhotoListModel, ThumbnailLoader
from fieldsupport.ui.widgets import InlineMessage, format_time, touch_button, touch_line


class PhotoGallery(QWidget):
    #: the photos were listed and shown (tests wait for it)
    loaded = Signal()
    #: photos were added, deleted or restored (the owner's counts change)
    changed = Signal()

    def __init__(
        self, service: PhotoService, parent: QWidget | None = None, *, compact: bool = False
    ) -> None:
        """``compact``: a one-row strip with the everyday actions beside it, for the few
        photos of one record inside its editor (claim evidence, before/after of an
        application record, the photo of a recall action)."""
        super().__init__(parent)
        self.setAccessibleName(self.tr("Photos"))
        self.service = service
        self.compact = compact
        self.read_only = False
        self.jobs = JobRunner(self)
        self.owner: PhotoOwner | None = None
        self._case_id: str | None = None
        self._generation = 0
        self._reselect: list[str] = []
        self._deleted_ids: list[str] = []
        self.summary_dialog: ImportSummaryDialog | None = None
        self.viewer: Any = None
        self.editor: Any = None
        self.camera_dialog: Any = None
        self.deleted_dialog: Any = None

        self.loader = ThumbnailLoader(
            self.jobs,
            self,
            edge=STRIP_EDGE if compact else ICON_EDGE,
            make_missing=service.make_copies,
        )
        self.model = PhotoListModel(self.loader, service.thumbnail_path, self)
        self.view = PhotoGridView(self)
        self.view.setAccessibleName(self.tr("Photo thumbnails"))
        self.view.setModel(self.model)
        self.empty_text = (
            self.tr("No photos yet: add them, drop files here or paste an image (Ctrl+V).")
            if compact
            else self.tr(
                "No photos yet. Add photos, take one with the camera, drop files here or paste "
                "an image (Ctrl+V)."
            )
        )
        self.view.empty_text = self.empty_text
        self.view.dropped.connect(self.import_dropped)
        self.view.drag_entered.connect(self.prepare_import)
        self.view.doubleClicked.connect(lambda _index: self.open_viewer())
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)

        self.filter = QComboBox(self)
        self.filter.setAccessibleName(self.tr("Show photos of"))
        self.filter.setMinimumHeight(34)
        self.filter.setMinimumWidth(200)  # "Visit 2026-03-02 ..." stays readable when narrow
        self.filter.currentIndexChanged.connect(self._filter_changed)
        self.add_button = touch_button(self.tr("Add photos…"), self)
        self.add_button.clicked.connect(self.choose_files)
        self.folder_button = touch_button(self.tr("Add a folder…"), self)
        self.folder_button.setToolTip(
            self.tr("Every photo in a folder and its subfolders (a camera card, a phone)")
        )
        self.folder_button.clicked.connect(self.choose_folder)
        self.camera_button = touch_button(self.tr("Camera…"), self)
        self.camera_button.clicked.connect(self.open_camera)
        self.camera_button.hide()  # until a camera is found (checked when first shown)
        self.camera_note = QLabel(self)
        self.camera_note.setAccessibleName(self.tr("Camera"))
        self.camera_note.setStyleSheet("color: palette(placeholder-text);")
        self.camera_note.setWordWrap(True)  # a long note must not squeeze the filter
        self.camera_note.hide()
        self.deleted_button = touch_button(self.tr("Deleted photos…"), self)
        self.deleted_button.clicked.connect(self.open_deleted)

        self.caption = touch_line(self, self.tr("Caption"), self.tr("Caption of the photo"))
        self.caption.setMaxLength(CAPTION_LEN)
        self.caption.returnPressed.connect(self.save_caption)
        self.caption_button = touch_button(self.tr("Save caption"), self)
        self.caption_button.clicked.connect(self.save_caption)
        self.view_button = self._action(self.tr("View"), self.open_viewer)
        self.annotate_button = self._action(self.tr("Draw on it…"), self.open_editor)
        self.earlier_button = self._action(self.tr("Earlier"), lambda: self.move_selected(-1))
        self.later_button = self._action(self.tr("Later"), lambda: self.move_selected(+1))
        self.before_button = self._action(
            self.tr("Before"), lambda: self.mark_selected(BeforeAfter.BEFORE)
        )
        self.after_button = self._action(
            self.tr("After"), lambda: self.mark_selected(BeforeAfter.AFTER)
        )
        self.pair_button = self._action(self.tr("Pair before/after"), self.pair_selected)
        self.unmark_button = self._action(self.tr("Not before/after"), self.unmark_selected)
        self.delete_button = self._action(self.tr("Delete"), self.delete_selected)
        self.message = InlineMessage(self)
        self.undo_button = touch_button(self.tr("Undo delete"), self)
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_button.hide()
        if compact:
            self._lay_out_strip()
        else:
            self._lay_out_grid()

        self.paste_shortcut = QShortcut(QKeySequence.StandardKey.Paste, self)
        self.paste_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.paste_shortcut.activated.connect(self.paste)
        self._camera_checked = False
        self._camera_watch: Any = None  # Qt Multimedia's device list, where it loads
        self._selection_changed()

    def _action(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = touch_button(text, self)
        button.clicked.connect(slot)
        return button

    def _lay_out_grid(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.camera_note)
        top.addWidget(self.deleted_button)
        # the ways in wrap under the filter rather than widen the window (the filter keeps
        # room to read a visit's label)
        adding = FlowLayout()
        for button in (self.add_button, self.folder_button, self.camera_button):
            adding.addWidget(button)
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.caption, 1)
        caption_row.addWidget(self.caption_button)
        # wraps onto a second line in a narrow case file instead of widening the window
        actions = FlowLayout()
        for button in (
            self.view_button,
            self.annotate_button,
            self.earlier_button,
            self.later_button,
            self.before_button,
            self.after_button,
            self.pair_button,
            self.unmark_button,
            self.delete_button,
        ):
            actions.addWidget(button)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(adding)
        layout.addWidget(self.view, 1)
        layout.addLayout(caption_row)
        layout.addLayout(actions)
        layout.addLayout(message_row)

    def _lay_out_strip(self) -> None:
        """The strip, and beside it the actions a record's few photos need; ordering,
        pairing and the deleted list stay in the case's Photos tab (these photos are there
        too)."""
        self.view.make_strip()
        for widget in (
            self.filter,
            self.folder_button,
            self.earlier_button,
            self.later_button,
            self.pair_button,
            self.unmark_button,
            self.deleted_button,
        ):
            widget.hide()
        buttons = QGridLayout()
        buttons.setSpacing(4)
        for row, pair in enumerate(
            (
                (self.add_button, self.camera_button),
                (self.view_button, self.annotate_button),
                (self.before_button, self.after_button),
                (self.delete_button, self.undo_button),
            )
        ):
            for column, button in enumerate(pair):
                buttons.addWidget(button, row, column)
        strip = QHBoxLayout()
        strip.addWidget(self.view, 1)
        strip.addLayout(buttons)
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.caption, 1)
        caption_row.addWidget(self.caption_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(strip)
        layout.addLayout(caption_row)
        layout.addWidget(self.message)
        layout.addStretch(1)

    # -- what is shown ----------------------------------------------------------------------
    def show_case(self, case_id: str, visits: list[VisitView]) -> None:
        """The case's photos, with a choice of one of its visits."""
        keep = self.filter.currentData() if case_id == self._case_id else None
        self._case_id = case_id
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem(self.tr("All photos of the case"), None)
        for visit in visits:
            when = visit.arrived_at or visit.planned_start or visit.travel_started_at
            label = self.tr("Visit {0} — {1}").format(
                format_time(when) or self.tr("not started"),
                self.tr(visit.status.value.replace("_", " ")),
            )
            self.filter.addItem(label, visit.id)
        index = self.filter.findData(keep) if keep else 0
        self.filter.setCurrentIndex(max(index, 0))
        self.filter.setVisible(True)
        self.filter.blockSignals(False)
        self._show(PhotoOwner(case_id, self.filter.currentData()))

    def show_owner(self, owner: PhotoOwner) -> None:
        """The photos of one record (a claim, an application record ...)."""
        self._case_id = None
        self.filter.hide()
        self._set_usable(True, self.empty_text)
        self._show(owner)

    def show_nothing(self, reason: str) -> None:
        """No record to attach photos to yet (a claim not chosen, an asset with nothing
        recorded): an empty strip that says why, nothing to press."""
        self._generation += 1  # a listing still on its way is not shown
        self.loader.forget_pending()
        self.owner = None
        self._case_id = None
        self._reselect = []
        self.model.set_photos([])
        self.message.clear_message()
        self.undo_button.hide()
        self._set_usable(False, reason)
        self._selection_changed()

    def set_read_only(self, read_only: bool) -> None:
        """Photos to look at, not to change (an advisor reviewing what came back)."""
        self.read_only = read_only
        for widget in (
            self.add_button,
            self.folder_button,
            self.annotate_button,
            self.before_button,
            self.after_button,
            self.delete_button,
            self.caption_button,
            self.earlier_button,
            self.later_button,
            self.pair_button,
            self.unmark_button,
        ):
            widget.setVisible(not read_only and not self._hidden_in_strip(widget))
        self.caption.setReadOnly(read_only)
        if self.view.empty_text in (self.empty_text, self.tr("No photos.")):
            self._set_usable(True, self.empty_text)  # the empty text and drops follow
        if read_only:
            for widget in (self.camera_button, self.camera_note, self.undo_button):
                widget.hide()
        elif self._camera_checked:
            self.check_camera()

    def _hidden_in_strip(self, widget: QWidget) -> bool:
        grid_only = (
            self.folder_button,
            self.earlier_button,
            self.later_button,
            self.pair_button,
            self.unmark_button,
        )
        return self.compact and widget in grid_only

    def _set_usable(self, usable: bool, empty_text: str) -> None:
        if usable and self.read_only:
            empty_text = self.tr("No photos.")  # nothing to add them with here
        self.view.empty_text = empty_text
        self.view.setAcceptDrops(usable and not self.read_only)
        self.view.viewport().setAcceptDrops(usable and not self.read_only)
        self.add_button.setEnabled(usable)
        self.folder_button.setEnabled(usable)
        self.camera_button.setEnabled(usable)
        self.view.viewport().update()

    def _filter_changed(self, _index: int) -> None:
        if self._case_id is not None:
            self._show(PhotoOwner(self._case_id, self.filter.currentData()))

    def _show(self, owner: PhotoOwner) -> None:
        if owner != self.owner:
            self.loader.forget_pending()
            self._reselect = []
            self.message.clear_message()
            self.undo_button.hide()
        self.owner = owner
        self.refresh()

    def refresh(self) -> None:
        """List the photos again in a worker (newer listings win)."""
        owner = self.owner
        if owner is None:
            return
        self.loader.retry_missing()
        self._generation += 1
        generation = self._generation
        service = self.service
        self.jobs.run(
            lambda _task: service.photos_of(owner),
            lambda photos: self._apply(generation, photos),
            self._show_error,
        )

    def _apply(self, generation: int, photos: list[PhotoView]) -> None:
        if generation != self._generation:
            return
        keep = self._reselect or self.selected_ids()
        self._reselect = []
        self.model.set_photos(photos)
        self.select_rows(*[r for r in map(self.model.row_of, keep) if r >= 0])
        self.loaded.emit()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._camera_checked:
            self._camera_checked = True
            # not at construction: Qt Multimedia takes ~40 ms to load, start-up needs it not
            QTimer.singleShot(0, self._start_camera)

    # -- selection --------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [p.id for p in self.selected_photos()]

    def selected_photos(self) -> list[PhotoView]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.model.photo(r) for r in rows if r < self.model.rowCount()]

    def select_rows(self, *rows: int) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in rows:
            selection.select(self.model.index(row), QItemSelectionModel.SelectionFlag.Select)
        if rows:
            current = self.model.index(rows[-1])
            selection.setCurrentIndex(current, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.view.scrollTo(current)
        self._selection_changed()

    @Slot()
    def _selection_changed(self, *_args: object) -> None:
        photos = self.selected_photos()
        one = len(photos) == 1
        for button in (
            self.view_button,
            self.annotate_button,
            self.earlier_button,
            self.later_button,
            self.before_button,
            self.after_button,
        ):
            button.setEnabled(one)
        self.caption.setEnabled(one)
        self.caption_button.setEnabled(one)
        self.pair_button.setEnabled(len(photos) == 2)
        self.unmark_button.setEnabled(any(p.before_after for p in photos))
        self.delete_button.setEnabled(bool(photos))
        if one:
            self.caption.setText(photos[0].caption or "")
        else:
            self.caption.clear()

    # -- editing ----------------------------------------------------------------------------
    def _edit(self, change: Callable[[], object], select: list[str], done: str = "") -> None:
        """Run a change in a worker, then list the photos again keeping ``select`` selected."""

        def success(_result: object) -> None:
            self._reselect = select
            if done:
                self.message.show_info(done)
            self.refresh()

        self.jobs.run(lambda _task: change(), success, self._show_error)

    def _show_error(self, error: BaseException) -> None:
        self.message.show_failure(error, self.jobs.show_error)

    @Slot()
    def save_caption(self) -> None:
        photos = self.selected_photos()
        if len(photos) != 1 or self.read_only:
            return
        photo, text = photos[0], self.caption.text()
        self._edit(
            lambda: self.service.set_caption(photo.id, text), [photo.id], self.tr("Caption saved.")
        )

    def move_selected(self, offset: int) -> None:
        photos, owner = self.selected_photos(), self.owner
        if len(photos) != 1 or owner is None:
            return
        photo_id = photos[0].id
        self._edit(lambda: self.service.move(owner, photo_id, offset), [photo_id])

    def mark_selected(self, role: BeforeAfter) -> None:
        photos = self.selected_photos()
        if len(photos) == 1:
            photo_id = photos[0].id
            self._edit(lambda: self.service.set_before_after(photo_id, role), [photo_id])

    def unmark_selected(self) -> None:
        ids = [p.id for p in self.selected_photos()]

        def change() -> None:
            for photo_id in ids:
                self.service.set_before_after(photo_id, None)

        self._edit(change, ids)

    def pair_selected(self) -> None:
        photos = self.selected_photos()
        if len(photos) != 2:
            return
        first, second = photos  # gallery order: the earlier is "before" unless marked
        if first.before_after is BeforeAfter.AFTER or second.before_after is BeforeAfter.BEFORE:
            first, second = second, first
        self._edit(
            lambda: self.service.pair(first.id, second.id),
            [first.id, second.id],
            self.tr("Paired: before and after."),
        )

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return

        def change() -> None:
            self.service.delete(*ids)  # all in one transaction: all deleted, or none

        def success(_result: object) -> None:
            self._deleted_ids = ids
            self.message.show_info(
                self.tr("{0} photo(s) deleted. They can be restored until synced.").format(len(ids))
            )
            self.undo_button.show()
            self.refresh()
            self.changed.emit()

        self.jobs.run(lambda _task: change(), success, self._show_error)

    def undo_delete(self) -> None:
        ids, self._deleted_ids = self._deleted_ids, []
        self.undo_button.hide()

        def change() -> None:
            self.service.restore_all(ids)

        def success(_result: object) -> None:
            self.message.show_info(self.tr("Restored."))
            self._reselect = ids
            self.refresh()
            self.changed.emit()

        self.jobs.run(lambda _task: change(), success, self._show_error)

    # -- import -----------------------------------------------------------------------------
    @Slot()
    def choose_files(self) -> None:
        dialog = QFileDialog(self, self.tr("Add photos"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters([self.tr(FILE_FILTER), self.tr("All files (*)")])
        dialog.filesSelected.connect(lambda files: self.import_files([Path(f) for f in files]))
        dialog.open()
        self.file_dialog = dialog
        self.prepare_import()

    @Slot()
    def choose_folder(self) -> None:
        """A whole folder (with its subfolders): a camera card or a phone's DCIM folder."""
        dialog = QFileDialog(self, self.tr("Add the photos of a folder"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda folder: self.import_files([Path(folder)]))
        dialog.open()
        self.file_dialog = dialog
        self.prepare_import()

    @Slot()
    def prepare_import(self) -> None:
        """Photos are likely to come (a file dialog is open, files are dragged over): the
        processes that read them are started meanwhile, in a worker."""
        if self.owner is None or self.read_only:
            return
        service = self.service
        self.jobs.run(lambda _task: service.prepare_import(), None, lambda _error: None)

    def import_dropped(self, paths: list[Path], image: QImage | None) -> None:
        self.import_files(paths, image)

    @Slot()
    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        paths = files_in(mime) if mime is not None else []
        image = None if paths or mime is None else image_in(mime)
        if not paths and image is None:
            self.message.show_error(self.tr("The clipboard holds no image or photo file."))
            return
        self.import_files(paths, image)

    def import_camera_shot(self, path: Path) -> None:
        """A picture the camera saved to a temporary folder: imported, then removed."""
        self.import_files([path], cleanup=[path.parent])

    def import_files(
        self, paths: list[Path], image: QImage | None = None, *, cleanup: Sequence[Path] = ()
    ) -> None:
        owner = self.owner
        if owner is None or self.read_only:
            return
        self.message.clear_message()
        self.import_operation = start_import(
            self.jobs,
            self.service,
            owner,
            paths,
            image,
            cleanup=cleanup,
            on_done=self._imported,
            on_error=lambda error: self.message.show_error(error_text(error)),
        )

    def _imported(self, summary: ImportSummary) -> None:
        self.last_summary = summary
        self._reselect = [r.attachment_id for r in summary.results if r.attachment_id]
        if (
            summary.cancelled
            or summary.skipped
            or summary.count(Outcome.IMPORTED) != len(summary.results)
        ):
            self.summary_dialog = ImportSummaryDialog(summary, self)
            self.summary_dialog.open()
        if summary.count(Outcome.REFUSED):
            self.message.show_error(summary_text(summary))
        else:
            self.message.show_info(summary_text(summary))
        self.refresh()
        if summary.count(Outcome.IMPORTED):
            self.changed.emit()

    # -- dialogs ----------------------------------------------------------------------------
    def open_viewer(self) -> None:
        from fieldsupport.ui.photo_viewer import show_viewer

        photos = self.model.photos()
        selected = self.selected_ids()
        if not photos:
            return
        start = self.model.row_of(selected[0]) if selected else 0
        self.viewer = show_viewer(self.viewer, self.service, photos, max(start, 0), self)

    def open_editor(self) -> None:
        from fieldsupport.ui.photo_annotation import AnnotationEditor

        photos = self.selected_photos()
        if len(photos) != 1:
            return
        photo_id = photos[0].id
        self.editor = AnnotationEditor(self.service, photos[0], self)
        self.editor.saved.connect(lambda _view: self._after_annotation(photo_id))
        self.editor.open()

    def _after_annotation(self, photo_id: str) -> None:
        self._reselect = [photo_id]
        self.refresh()

    def open_deleted(self) -> None:
        from fieldsupport.ui.photo_deleted import DeletedPhotosDialog

        if self.owner is None:
            return
        self.deleted_dialog = DeletedPhotosDialog(self.service, self.owner, self)
        self.deleted_dialog.restored.connect(self._restored)
        self.deleted_dialog.open()

    def _restored(self, photo_id: str) -> None:
        self._reselect = [photo_id]
        self.refresh()
        self.changed.emit()

    # -- camera -----------------------------------------------------------------------------
    @Slot()
    def _start_camera(self) -> None:
        """The first look for a camera, and from then on the button follows cameras plugged
        in or removed (a USB camera), where Qt Multimedia loads."""
        from fieldsupport.ui.photo_camera import watch_cameras

        self.check_camera()
        if self._camera_watch is None:
            self._camera_watch = watch_cameras(self, self.check_camera)

    @Slot()
    def check_camera(self) -> None:
        from fieldsupport.ui.photo_camera import camera_status, camera_support_problem

        available, note = camera_status()
        self.camera_button.setVisible(available and not self.read_only)
        self.camera_note.setText(note)
        problem = None if available else camera_support_problem()
        self.camera_note.setToolTip(f"{note}\n{problem}" if problem else note)
        self.camera_note.setVisible(not available and not self.compact and not self.read_only)

    def open_camera(self) -> None:
        from fieldsupport.ui.photo_camera import CameraDialog

        self.camera_dialog = CameraDialog(self)
        self.camera_dialog.captured.connect(self.import_camera_shot)
        self.camera_dialog.open()

    # -- tests and the case file ------------------------------------------------------------
    def busy(self) -> bool:
        return self.jobs.busy
