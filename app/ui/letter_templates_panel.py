"""Instellingen › Brieven › Teksten van de brief: the letter's texts per language as templates the
municipality owns (app.services.letter_templates). Pick a language and a text, change it with
its placeholders, see it with example values as the letter prints it, Opslaan or Terug naar
standaardtekst; a refused text shows the service's one line. Who may not change them (the
service decides: the beheerder) sees the same panel read-only."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError, as_user_error
from app.services.letter_templates import (
    TemplateField,
    languages,
    may_edit,
    preview_text,
    reset_template,
    save_template,
    template_fields,
)
from app.ui.operations import run_operation, show_error
from app.ui.widgets import (
    DEBIT_COLOR,
    ERROR_STYLE,
    MUTED_COLOR,
    Card,
    date_text,
    error_label,
    muted,
)

KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class LetterTemplatesPanel(QWidget):
    loaded = Signal()  # the texts of a language are shown
    saved = Signal(str)  # the key of a text stored or set back to the standaardtekst

    def __init__(self, db, parent: QWidget | None = None, *, editable: bool | None = None):
        super().__init__(parent)
        self.db = db
        self.editable = editable  # None: asked of the services on the first load
        self.fields: dict[str, TemplateField] = {}
        self.drafts: dict[tuple[str, str], str] = {}  # edits not saved, per language and key
        self.current: TemplateField | None = None
        self._showing = False  # filling the editor: not an edit

        self.language = QComboBox()
        for code, name in languages():
            self.language.addItem(name, code)
        self.language.currentIndexChanged.connect(lambda _i: self.load())
        self.read_only_note = muted(self.tr(
            "Alleen de beheerder kan de teksten van de brief wijzigen. U ziet ze hier zoals ze "
            "worden afgedrukt."))
        self.read_only_note.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Taal:")))
        top.addWidget(self.language)
        top.addStretch(1)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("Tekst in de brief"), self.tr("Stand")])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(12)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.currentItemChanged.connect(lambda item, _old: self._chosen(item))

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.title.setWordWrap(True)
        self.state = muted("")
        self.placeholder_row = QHBoxLayout()
        self.placeholder_row.setSpacing(4)
        self.placeholder_help = muted("")
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("template_editor")
        self.editor.setTabChangesFocus(True)
        self.editor.setMaximumHeight(120)
        self.editor.textChanged.connect(self._edited)
        self.preview_card = Card(self.tr("Voorbeeld"))
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setStyleSheet("font-size: 11pt; border: none;")
        self.preview_card.body.addWidget(self.preview)
        self.default_label = muted("")
        self.default_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = error_label()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.reset_button = QPushButton(self.tr("Terug naar standaardtekst"))
        self.reset_button.clicked.connect(self.reset)
        self.save_button = QPushButton(self.tr("Opslaan"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)

        editor_side = QWidget()
        right = QVBoxLayout(editor_side)
        right.setContentsMargins(8, 0, 0, 0)
        right.addWidget(self.title)
        right.addWidget(self.state)
        placeholders = QHBoxLayout()
        self.placeholder_label = QLabel(self.tr("Invulvelden:"))
        placeholders.addWidget(self.placeholder_label)
        placeholders.addLayout(self.placeholder_row)
        placeholders.addStretch(1)
        right.addLayout(placeholders)
        right.addWidget(self.placeholder_help)
        right.addWidget(self.editor)
        right.addWidget(self.error)
        right.addWidget(self.preview_card)
        right.addWidget(self.default_label)
        right.addLayout(buttons)
        right.addStretch(1)

        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(editor_side)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(muted(self.tr(
            "De zinnen van het papieren overzicht, per taal. Tussen accolades staan de "
            "invulvelden: het programma zet daar het bedrag, de datum of de naam in, zoals in "
            "het voorbeeld. Wat u niet wijzigt, blijft de standaardtekst van het programma.")))
        layout.addWidget(self.read_only_note)
        layout.addWidget(splitter, 1)
        self._set_editable(False)

    # -- loading ----------------------------------------------------------------------------

    def selected_language(self) -> str:
        return self.language.currentData()

    def load(self) -> None:
        language = self.selected_language()
        ask = self.editable is None
        db = self.db

        def work(_progress):
            with db.read() as session:
                fields = template_fields(session, language)
            return language, fields, (may_edit(db) if ask else None)

        run_operation(self, work, on_done=self._show)

    def _show(self, result) -> None:
        language, fields, editable = result
        if language != self.selected_language():
            return  # another language was chosen meanwhile: its own load shows it
        if editable is not None:
            self.editable = editable
        key = self.current.key if self.current else None
        self.fields = {field.key: field for field in fields}
        self.tree.blockSignals(True)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        chosen = None
        for field in fields:
            group = groups.get(field.group)
            if group is None:
                group = groups[field.group] = QTreeWidgetItem(self.tree, [field.group])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setExpanded(True)
            item = QTreeWidgetItem(group, [field.label, ""])
            item.setData(0, KEY_ROLE, field.key)
            self._mark(item, field)
            if chosen is None or field.key == key:
                chosen = item
        self.tree.blockSignals(False)
        self._set_editable(bool(self.editable))
        self.read_only_note.setVisible(not self.editable)
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
            self._chosen(chosen)
        self.loaded.emit()

    def _mark(self, item: QTreeWidgetItem, field: TemplateField) -> None:
        draft = (field.language, field.key) in self.drafts
        if field.problem:
            state, color = self.tr("wordt niet gebruikt"), DEBIT_COLOR
        elif draft:
            state, color = self.tr("niet opgeslagen"), DEBIT_COLOR
        elif field.custom:
            state, color = self.tr("eigen tekst"), QColor("#1b5e20")
        else:
            state, color = self.tr("standaard"), MUTED_COLOR
        item.setText(1, state)
        item.setForeground(1, color)
        item.setToolTip(0, field.text)

    def items(self) -> dict[str, QTreeWidgetItem]:
        """The tree's items by key (for tests and selecting by key)."""
        found = {}
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                found[group.child(i).data(0, KEY_ROLE)] = group.child(i)
        return found

    def choose(self, key: str) -> None:
        self.tree.setCurrentItem(self.items()[key])

    # -- one text ---------------------------------------------------------------------------

    def _chosen(self, item: QTreeWidgetItem | None) -> None:
        key = item.data(0, KEY_ROLE) if item is not None else None
        field = self.fields.get(key) if key else None
        if field is None:
            return
        self.current = field
        self.title.setText(f"{field.group} › {field.label}")
        if field.problem:
            self.state.setText(self.tr("De eigen tekst past niet meer bij het programma ({why}); "
                                       "de brief gebruikt de standaardtekst.").format(
                                           why=field.problem))
        elif field.custom:
            self.state.setText(self.tr("Eigen tekst, gewijzigd door {who} op {day}.").format(
                who=field.changed_by or "?", day=date_text(field.changed_at)))
        else:
            self.state.setText(self.tr("Standaardtekst van het programma."))
        self._show_placeholders(field)
        self.default_label.setText(self.tr("Standaardtekst: {text}").format(text=field.default))
        self.default_label.setVisible(field.custom or (field.language, field.key) in self.drafts)
        self.message.clear()
        self._showing = True
        self.editor.setPlainText(self.drafts.get((field.language, field.key), field.text))
        self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self._showing = False
        self._edited()

    def _show_placeholders(self, field: TemplateField) -> None:
        while self.placeholder_row.count():
            widget = self.placeholder_row.takeAt(0).widget()
            if widget is not None:  # out of sight now: it is deleted only later
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        for name in field.placeholders:
            button = QToolButton()
            button.setText("{" + name + "}")
            button.setToolTip(self.tr("{meaning}: invoegen op de plaats van de cursor").format(
                meaning=field.meaning(name)))
            button.setEnabled(bool(self.editable))
            button.clicked.connect(lambda _c=False, n=name: self.insert(n))
            self.placeholder_row.addWidget(button)
        self.placeholder_label.setVisible(bool(field.placeholders))
        if field.placeholders:
            parts = [f"{{{name}}} {field.meaning(name)}"
                     + (self.tr(" (moet blijven)") if name in field.required else "")
                     for name in field.placeholders]
            self.placeholder_help.setText(" · ".join(parts))
        else:
            self.placeholder_help.setText(self.tr("Deze tekst heeft geen invulvelden."))

    def insert(self, name: str) -> None:
        self.editor.insertPlainText("{" + name + "}")
        self.editor.setFocus()

    def _edited(self) -> None:
        field = self.current
        if field is None:
            return
        text = self.editor.toPlainText()
        key = (field.language, field.key)
        if not self._showing:
            if text == field.text:
                self.drafts.pop(key, None)
            else:
                self.drafts[key] = text
            item = self.items().get(field.key)
            if item is not None:
                self._mark(item, field)
            self.message.clear()
            self.default_label.setVisible(field.custom or key in self.drafts)
        self.error.hide()
        try:
            self.preview.setText(preview_text(field.language, field.key, text))
            self.preview.setStyleSheet("font-size: 11pt; border: none;")
            self.preview_card.set_tone("normal")
        except ValidationError as refused:
            self.preview.setText(str(refused))
            self.preview.setStyleSheet(f"font-size: 11pt; border: none; {ERROR_STYLE}")
            self.preview_card.set_tone("bad")
        self.reset_button.setEnabled(bool(self.editable) and (field.custom or key in self.drafts))
        self.save_button.setEnabled(bool(self.editable))

    def _set_editable(self, editable: bool) -> None:
        self.editor.setReadOnly(not editable)
        self.save_button.setEnabled(editable)
        self.reset_button.setEnabled(editable)
        self.save_button.setVisible(editable)
        self.reset_button.setVisible(editable)

    # -- the actions ------------------------------------------------------------------------

    def save(self) -> None:
        field = self.current
        if field is None or not self.editable:
            return
        language, key, text = field.language, field.key, self.editor.toPlainText()
        self.save_button.setEnabled(False)
        run_operation(self, lambda _p: save_template(self.db.unit_of_work(), language, key, text),
                      on_done=self._stored, on_error=self._refused)

    def reset(self) -> None:
        field = self.current
        if field is None or not self.editable:
            return
        language, key = field.language, field.key
        self.reset_button.setEnabled(False)
        run_operation(self, lambda _p: reset_template(self.db.unit_of_work(), language, key),
                      on_done=self._stored, on_error=self._refused)

    def _stored(self, field: TemplateField) -> None:
        self.drafts.pop((field.language, field.key), None)
        if field.language != self.selected_language():
            return  # another language was chosen meanwhile; its list is read afresh
        self.fields[field.key] = field
        item = self.items().get(field.key)
        if item is not None:
            self._mark(item, field)
        if self.current is not None and self.current.key == field.key:
            self._chosen(item)
        self.message.setText(self.tr("Opgeslagen: de brief gebruikt de standaardtekst.")
                             if not field.custom else self.tr("Opgeslagen."))
        self.saved.emit(field.key)

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(bool(self.editable))
        if self.current is not None:
            key = (self.current.language, self.current.key)
            self.reset_button.setEnabled(bool(self.editable) and (
                self.current.custom or key in self.drafts))
        refusal = as_user_error(exc)
        if refusal is None:
            show_error(self, exc)
            return
        self.message.clear()
        self.error.setText(str(refusal))
        self.error.show()
