"""Instellingen (beheerder): organisations and their IBANs, categories (add, rename, make
inactive), the municipal accounts, employees (add, edit, make inactive), the letter settings
and the letter's texts (app.ui.letter_templates_panel), the thresholds of the signals and the
audit trail's checkpoint folder (Controlepunten). Every change is one service call of
app.services.organisations / accounts / categories / employees / letter_templates, off the GUI
thread."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.db import is_embedded
from app.errors import UserError, ValidationError, first_line
from app.models import CategoryKind, OrganisationKind, Role
from app.services import accounts as account_services
from app.services import categories as category_services
from app.services import employees as employee_services
from app.services import organisations as organisation_services
from app.services.queries import (
    CategoryLine,
    EmployeeLine,
    OrganisationLine,
    category_lines,
    employee_lines,
    municipal_accounts,
    organisation_lines,
)
from app.ui.operations import run_operation, show_error
from app.ui.widgets import (
    ERROR_STYLE,
    MUTED_COLOR,
    error_label,
    fit_columns_once,
    heading,
    muted,
    remember_columns,
    save_cancel_buttons,
    text_item,
)


def _table(headers: list[str], key: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    remember_columns(table.horizontalHeader(), key)
    return table


class OrganisationDialog(QDialog):
    """A new organisation (with its IBANs) or the details of an existing one."""

    def __init__(self, db, organisation: OrganisationLine | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.organisation = organisation
        self.setWindowTitle(self.tr("Organisatie wijzigen") if organisation
                            else self.tr("Nieuwe organisatie"))
        self.name = QLineEdit(organisation.name if organisation else "")
        self.kind = QComboBox()
        for kind in OrganisationKind:
            self.kind.addItem(kind.value, kind.value)
        if organisation:
            self.kind.setCurrentIndex(self.kind.findData(organisation.kind))
        self.kvk = QLineEdit(organisation.kvk or "" if organisation else "")
        self.city = QLineEdit(organisation.city or "" if organisation else "")
        self.ibans = QLineEdit()
        self.ibans.setPlaceholderText(self.tr("één of meer IBAN's, gescheiden door ;"))
        form = QFormLayout()
        form.addRow(self.tr("Naam *"), self.name)
        form.addRow(self.tr("Soort"), self.kind)
        form.addRow(self.tr("KvK-nummer"), self.kvk)
        form.addRow(self.tr("Plaats"), self.city)
        if organisation is None:
            form.addRow(self.tr("IBAN's"), self.ibans)
        self.error = error_label()
        buttons = save_cancel_buttons(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def save(self) -> None:
        values = {"name": self.name.text(), "kind": self.kind.currentData(),
                  "kvk": self.kvk.text().strip() or None, "city": self.city.text().strip() or None}
        ibans = [i.strip() for i in self.ibans.text().split(";") if i.strip()]
        organisation = self.organisation

        def work(_progress):
            uow = self.db.unit_of_work()
            if organisation is None:
                return organisation_services.create_organisation(uow, ibans=ibans, **values)
            organisation_services.update_organisation(uow, organisation.id, **values)
            return organisation.id

        run_operation(self, work, on_done=lambda _r: self.accept(), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.error.setText(str(exc))
            self.error.show()
        else:
            show_error(self, exc)


class CategoryDialog(QDialog):
    """Rename a category."""

    def __init__(self, db, category: CategoryLine, parent=None):
        super().__init__(parent)
        self.db = db
        self.category = category
        self.setWindowTitle(self.tr("Rubriek hernoemen"))
        self.name = QLineEdit(category.name)
        form = QFormLayout()
        form.addRow(self.tr("Naam *"), self.name)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(muted(self.tr("Wat al op deze rubriek geboekt is, krijgt de nieuwe "
                                       "naam mee.")))
        layout.addWidget(self.error)
        layout.addWidget(save_cancel_buttons(self))
        self.resize(420, self.sizeHint().height())

    def save(self) -> None:
        name, category_id = self.name.text(), self.category.id
        run_operation(self, lambda _p: category_services.rename_category(
            self.db.unit_of_work(), category_id, name),
            on_done=lambda _r: self.accept(), on_error=lambda exc: _show_in(self, self.error, exc))


class EmployeeDialog(QDialog):
    """Name, role, phone and e-mail of an employee (the username is the login and stays)."""

    def __init__(self, db, employee: EmployeeLine, parent=None):
        super().__init__(parent)
        self.db = db
        self.employee = employee
        self.setWindowTitle(self.tr("Medewerker wijzigen"))
        self.name = QLineEdit(employee.name)
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.value, role.value)
        self.role.setCurrentIndex(self.role.findData(employee.role))
        self.phone = QLineEdit(employee.phone or "")
        self.email = QLineEdit(employee.email or "")
        form = QFormLayout()
        form.addRow(self.tr("Gebruikersnaam"), QLabel(employee.username))
        form.addRow(self.tr("Naam *"), self.name)
        form.addRow(self.tr("Rol"), self.role)
        form.addRow(self.tr("Telefoon"), self.phone)
        form.addRow(self.tr("E-mail"), self.email)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(save_cancel_buttons(self))
        self.resize(440, self.sizeHint().height())

    def save(self) -> None:
        values = {"name": self.name.text(), "role": self.role.currentData(),
                  "phone": self.phone.text(), "email": self.email.text()}
        employee_id = self.employee.id
        run_operation(self, lambda _p: employee_services.update_employee(
            self.db.unit_of_work(), employee_id, **values),
            on_done=lambda _r: self.accept(), on_error=lambda exc: _show_in(self, self.error, exc))


def _show_in(parent: QWidget, label: QLabel, exc: BaseException) -> None:
    """A rule broken: its Dutch line under the form; anything else: the error message box."""
    if isinstance(exc, UserError):
        label.setText(str(exc))
        label.show()
    else:
        show_error(parent, exc)


class AuditTrailPanel(QWidget):
    """Controlepunten: the folder of the daily checkpoints (app.services.audit) and "Nu
    controleren", which verifies the trail against them and shows the one-line result."""

    checked = Signal(str)

    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.db = db
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(self.tr("geen: er worden geen controlepunten bewaard"))
        self.folder.returnPressed.connect(lambda: self.save_folder(self.folder.text()))
        choose = QPushButton(self.tr("Kies…"))
        choose.clicked.connect(self.choose_folder)
        self.check_button = QPushButton(self.tr("Nu controleren"))
        self.check_button.clicked.connect(self.check)
        self.error = error_label()
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Map voor controlepunten")))
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        group = QGroupBox(self.tr("Controlepunten van het logboek"))
        inner = QVBoxLayout(group)
        inner.addWidget(muted(self.tr(
            "Elke dag schrijft de eerste werkplek die start een controlepunt van het logboek "
            "(de laatste rij en haar hash) in deze map. Kies een map waar de beheerder van de "
            "database niet bij kan: dan ziet de controle ook een logboek dat daar herschreven of "
            "ingekort is. Met HHB_AUDIT_KEY worden de controlepunten ondertekend.")))
        inner.addLayout(row)
        inner.addWidget(self.error)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.result, 1)
        inner.addLayout(check_row)
        layout = QVBoxLayout(self)
        layout.addWidget(group)
        layout.addStretch(1)

    def load(self) -> None:
        from app.services.audit import checkpoint_folder

        def work(_progress):
            with self.db.read() as session:
                return checkpoint_folder(session)

        run_operation(self, work, on_done=lambda folder: self.folder.setText(
            str(folder) if folder else ""))

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Map voor controlepunten"),
                                                  self.folder.text())
        if chosen:
            self.save_folder(chosen)

    def save_folder(self, folder: str) -> None:
        from app.services.audit import set_checkpoint_folder

        def done(path) -> None:
            self.error.hide()
            self.folder.setText(str(path) if path else "")

        run_operation(self, lambda _p: set_checkpoint_folder(self.db.unit_of_work(), folder),
                      on_done=done, on_error=lambda exc: _show_in(self, self.error, exc))

    def check(self) -> None:
        from app.services.audit import check_now

        self.check_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText(self.tr("Bezig met controleren…"))

        def done(report) -> None:
            self._show_result(report.summary(), report.ok)

        def failed(exc: BaseException) -> None:  # e.g. a checkpoint file that cannot be read
            self._show_result(str(exc) if isinstance(exc, UserError) else first_line(exc),
                              False)

        run_operation(self, lambda _p: check_now(self.db), on_done=done, on_error=failed)

    def _show_result(self, line: str, ok: bool) -> None:
        self.check_button.setEnabled(True)
        self.result.setStyleSheet("" if ok else ERROR_STYLE)
        self.result.setText(line)
        self.checked.emit(line)


class SettingsScreen(QWidget):
    loaded = Signal()

    def __init__(self, db, user=None, parent=None):
        super().__init__(parent)
        self.db = db
        self.user = user
        self.organisations: list[OrganisationLine] = []
        self.categories: list[CategoryLine] = []
        self.employees: list[EmployeeLine] = []
        self.tabs = QTabWidget()
        self.tabs.addTab(self._organisations_page(), self.tr("Organisaties"))
        self.tabs.addTab(self._categories_page(), self.tr("Rubrieken"))
        self.tabs.addTab(self._municipal_page(), self.tr("Gemeentelijke rekeningen"))
        self.tabs.addTab(self._employees_page(), self.tr("Medewerkers"))
        self.tabs.addTab(self._letters_page(), self.tr("Brieven"))
        from app.ui.signal_settings import SignalThresholdsPanel

        self.signals_panel = SignalThresholdsPanel(db)
        self.tabs.addTab(self.signals_panel, self.tr("Signalen"))
        self.audit_panel = AuditTrailPanel(db)
        self.tabs.addTab(self.audit_panel, self.tr("Controlepunten"))
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Instellingen")))
        layout.addWidget(self.tabs, 1)

    # -- pages ------------------------------------------------------------------------------

    def _organisations_page(self) -> QWidget:
        page = QWidget()
        self.organisations_table = _table([self.tr("Naam"), self.tr("Soort"), self.tr("KvK"),
                                           self.tr("Plaats"), self.tr("IBAN's")],
                                          "settings_organisations")
        self.organisations_table.doubleClicked.connect(lambda _i: self.edit_organisation())
        add = QPushButton(self.tr("Nieuwe organisatie"))
        add.clicked.connect(lambda: self.edit_organisation(new=True))
        edit = QPushButton(self.tr("Wijzigen"))
        edit.clicked.connect(lambda: self.edit_organisation())
        self.organisation_iban = QLineEdit()
        self.organisation_iban.setPlaceholderText(self.tr("IBAN toevoegen aan de gekozen "
                                                          "organisatie"))
        self.organisation_iban.returnPressed.connect(self.add_organisation_iban)
        add_iban = QPushButton(self.tr("IBAN toevoegen"))
        add_iban.clicked.connect(self.add_organisation_iban)
        self.organisation_error = error_label()
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(edit)
        row.addSpacing(20)
        row.addWidget(self.organisation_iban, 1)
        row.addWidget(add_iban)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.organisation_error)
        layout.addWidget(self.organisations_table, 1)
        return page

    def _categories_page(self) -> QWidget:
        page = QWidget()
        self.categories_table = _table([self.tr("Rubriek"), self.tr("Soort"),
                                        self.tr("Verplicht bij volledig"), self.tr("Actief")],
                                       "settings_categories")
        self.categories_table.doubleClicked.connect(lambda _i: self.rename_category())
        self.categories_table.itemSelectionChanged.connect(self._category_selected)
        self.category_name = QLineEdit()
        self.category_name.setPlaceholderText(self.tr("naam van de nieuwe rubriek"))
        self.category_name.returnPressed.connect(self.add_category)
        self.category_kind = QComboBox()
        for kind in CategoryKind:
            self.category_kind.addItem(kind.value, kind.value)
        self.category_kind.setCurrentIndex(self.category_kind.findData(CategoryKind.FIXED_COST))
        add = QPushButton(self.tr("Rubriek toevoegen"))
        add.clicked.connect(self.add_category)
        rename = QPushButton(self.tr("Hernoemen"))
        rename.clicked.connect(lambda: self.rename_category())
        self.category_active_button = QPushButton(self.tr("Deactiveren"))
        self.category_active_button.clicked.connect(self.toggle_category_active)
        self.category_error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.category_name, 1)
        row.addWidget(self.category_kind)
        row.addWidget(add)
        row.addSpacing(20)
        row.addWidget(rename)
        row.addWidget(self.category_active_button)
        layout = QVBoxLayout(page)
        layout.addWidget(muted(self.tr("Verplichte rubrieken zijn de vaste lasten die iedere "
                                       "deelnemer met variant 'volledig' moet hebben. Een rubriek "
                                       "wordt nooit verwijderd: een inactieve rubriek wordt niet "
                                       "meer aangeboden, maar blijft staan bij wat ermee geboekt "
                                       "is.")))
        layout.addLayout(row)
        layout.addWidget(self.category_error)
        layout.addWidget(self.categories_table, 1)
        return page

    def _municipal_page(self) -> QWidget:
        page = QWidget()
        self.municipal_table = _table([self.tr("IBAN"), self.tr("Naam")], "settings_municipal")
        self.municipal_iban = QLineEdit()
        self.municipal_iban.setPlaceholderText(self.tr("IBAN van de gemeentelijke rekening"))
        self.municipal_name = QLineEdit()
        self.municipal_name.setPlaceholderText(self.tr("naam, bijv. Gemeente Utrecht "
                                                       "budgetbeheer"))
        add = QPushButton(self.tr("Rekening registreren"))
        add.clicked.connect(self.add_municipal_account)
        self.municipal_error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.municipal_iban, 1)
        row.addWidget(self.municipal_name, 1)
        row.addWidget(add)
        layout = QVBoxLayout(page)
        layout.addWidget(muted(self.tr("Alleen afschriften van deze rekeningen kunnen worden "
                                       "ingelezen.")))
        layout.addLayout(row)
        layout.addWidget(self.municipal_error)
        layout.addWidget(self.municipal_table, 1)
        return page

    def _employees_page(self) -> QWidget:
        page = QWidget()
        self.employees_table = _table([self.tr("Gebruikersnaam"), self.tr("Naam"),
                                       self.tr("Rol"), self.tr("Telefoon"), self.tr("E-mail"),
                                       self.tr("Actief"), self.tr("Deelnemers")],
                                      "settings_employees")
        self.employee_username = QLineEdit()
        self.employee_username.setPlaceholderText(self.tr("gebruikersnaam"))
        self.employee_name = QLineEdit()
        self.employee_name.setPlaceholderText(self.tr("volledige naam"))
        self.employee_role = QComboBox()
        for role in Role:
            self.employee_role.addItem(role.value, role.value)
        # On the shared database a new employee is a new login: it needs a first password.
        self.employee_password = QLineEdit()
        self.employee_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.employee_password.setPlaceholderText(self.tr("eerste wachtwoord"))
        if is_embedded(self.db.engine):  # (showing it before it has a parent would
            self.employee_password.hide()  # make it a window of its own)
        add = QPushButton(self.tr("Medewerker toevoegen"))
        add.clicked.connect(self.add_employee)
        edit = QPushButton(self.tr("Wijzigen"))
        edit.clicked.connect(lambda: self.edit_employee())
        self.employees_table.doubleClicked.connect(lambda _i: self.edit_employee())
        self.employees_table.itemSelectionChanged.connect(self._employee_selected)
        self.employee_active_button = QPushButton(self.tr("Deactiveren"))
        self.employee_active_button.clicked.connect(self.toggle_employee_active)
        self.employee_error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.employee_username)
        row.addWidget(self.employee_name, 1)
        row.addWidget(self.employee_role)
        row.addWidget(self.employee_password)
        row.addWidget(add)
        row.addSpacing(20)
        row.addWidget(edit)
        row.addWidget(self.employee_active_button)
        layout = QVBoxLayout(page)
        layout.addWidget(muted(self.tr("Op de gedeelde database is de gebruikersnaam ook de "
                                       "aanmeldnaam: toevoegen maakt de databaselogin aan in de "
                                       "groep van de rol, een andere rol verhuist die, "
                                       "deactiveren neemt het recht om in te loggen weg. Een "
                                       "medewerker die vertrekt wordt gedeactiveerd; bij de "
                                       "deelnemers in de caseload blijft de naam staan tot een "
                                       "ander die overneemt.")))
        layout.addLayout(row)
        layout.addWidget(self.employee_error)
        layout.addWidget(self.employees_table, 1)
        return page

    def _letters_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading(self.tr("Brieven"), 12))
        from app.ui.letter_templates_panel import LetterTemplatesPanel
        from app.ui.overviews_screen import LetterSettingsPanel

        self.letters_panel = LetterSettingsPanel(self.db)
        settings_page = QWidget()
        settings_layout = QVBoxLayout(settings_page)
        settings_layout.addWidget(self.letters_panel)
        settings_layout.addStretch(1)
        self.templates_panel = LetterTemplatesPanel(self.db)
        self.letters_tabs = QTabWidget()
        self.letters_tabs.addTab(settings_page, self.tr("Afzender en venster"))
        self.letters_tabs.addTab(self.templates_panel, self.tr("Teksten van de brief"))
        layout.addWidget(self.letters_tabs, 1)
        return page

    # -- loading ----------------------------------------------------------------------------

    def activate(self) -> None:
        self.reload()
        self.signals_panel.load()
        self.audit_panel.load()
        self.templates_panel.load()

    refresh = activate

    def reload(self) -> None:
        def work(_progress):
            with self.db.read() as session:
                return (organisation_lines(session), category_lines(session),
                        municipal_accounts(session), employee_lines(session))

        run_operation(self, work, on_done=self._show)

    def _show(self, data) -> None:
        organisations, categories, municipal, employees = data
        self.organisations = organisations
        _fill(self.organisations_table, [
            (o.name, o.kind, o.kvk or "", o.city or "", ", ".join(i for _id, i in o.accounts))
            for o in organisations], ids=[o.id for o in organisations])
        self.categories = categories
        _fill(self.categories_table, [(c.name, c.kind, self.tr("ja") if c.mandatory else "",
                                       self.tr("ja") if c.active else self.tr("nee"))
                                      for c in categories], ids=[c.id for c in categories],
              inactive=[not c.active for c in categories])
        _fill(self.municipal_table, [(a.iban, a.holder_name) for a in municipal])
        self.employees = employees
        _fill(self.employees_table, [
            (e.username, e.name, e.role, e.phone or "", e.email or "",
             self.tr("ja") if e.active else self.tr("nee"), e.participants) for e in employees],
            ids=[e.id for e in employees], inactive=[not e.active for e in employees])
        self._category_selected()
        self._employee_selected()
        self.loaded.emit()

    # -- actions ----------------------------------------------------------------------------

    def selected_organisation(self) -> OrganisationLine | None:
        item = self.organisations_table.item(self.organisations_table.currentRow(), 0)
        if item is None:
            return None
        wanted = item.data(Qt.ItemDataRole.UserRole)
        return next((o for o in self.organisations if o.id == wanted), None)

    def edit_organisation(self, *, new: bool = False) -> OrganisationDialog | None:
        organisation = None if new else self.selected_organisation()
        if not new and organisation is None:
            return None
        dialog = OrganisationDialog(self.db, organisation, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def _run(self, work, message: QLabel, on_done=None) -> None:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                message.setText(str(exc))
                message.show()
            else:
                show_error(self, exc)

        def done(result) -> None:
            message.hide()
            if on_done is not None:
                on_done()
            self.reload()

        run_operation(self, work, on_done=done, on_error=failed)

    def add_organisation_iban(self) -> None:
        organisation = self.selected_organisation()
        if organisation is None:
            self.organisation_error.setText(self.tr("Kies eerst een organisatie in de lijst."))
            self.organisation_error.show()
            return
        iban = self.organisation_iban.text()
        self._run(lambda _p: organisation_services.add_organisation_account(
            self.db.unit_of_work(), organisation.id, iban), self.organisation_error,
            self.organisation_iban.clear)

    def add_municipal_account(self) -> None:
        iban, name = self.municipal_iban.text(), self.municipal_name.text()

        def clear() -> None:
            self.municipal_iban.clear()
            self.municipal_name.clear()

        self._run(lambda _p: account_services.add_municipal_account(
            self.db.unit_of_work(), iban, name), self.municipal_error, clear)

    # categories

    def selected_category(self) -> CategoryLine | None:
        wanted = _selected_id(self.categories_table)
        return next((c for c in self.categories if c.id == wanted), None)

    def _category_selected(self) -> None:
        category = self.selected_category()
        self.category_active_button.setText(
            self.tr("Activeren") if category and not category.active else self.tr("Deactiveren"))
        self.category_active_button.setEnabled(category is not None)

    def _choose_first(self, label: QLabel, what: str) -> None:
        label.setText(self.tr("Kies eerst een %1 in de lijst.").replace("%1", what))
        label.show()

    def add_category(self) -> None:
        name, kind = self.category_name.text(), self.category_kind.currentData()
        self._run(lambda _p: category_services.add_category(self.db.unit_of_work(), name, kind),
                  self.category_error, self.category_name.clear)

    def rename_category(self) -> CategoryDialog | None:
        category = self.selected_category()
        if category is None:
            self._choose_first(self.category_error, self.tr("rubriek"))
            return None
        dialog = CategoryDialog(self.db, category, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def toggle_category_active(self) -> None:
        category = self.selected_category()
        if category is None:
            self._choose_first(self.category_error, self.tr("rubriek"))
            return
        self._run(lambda _p: category_services.set_category_active(
            self.db.unit_of_work(), category.id, not category.active), self.category_error)

    # employees

    def selected_employee(self) -> EmployeeLine | None:
        wanted = _selected_id(self.employees_table)
        return next((e for e in self.employees if e.id == wanted), None)

    def _employee_selected(self) -> None:
        employee = self.selected_employee()
        self.employee_active_button.setText(
            self.tr("Activeren") if employee and not employee.active else self.tr("Deactiveren"))
        self.employee_active_button.setEnabled(employee is not None)

    def edit_employee(self) -> EmployeeDialog | None:
        employee = self.selected_employee()
        if employee is None:
            self._choose_first(self.employee_error, self.tr("medewerker"))
            return None
        dialog = EmployeeDialog(self.db, employee, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def toggle_employee_active(self) -> None:
        employee = self.selected_employee()
        if employee is None:
            self._choose_first(self.employee_error, self.tr("medewerker"))
            return
        self._run(lambda _p: employee_services.set_employee_active(
            self.db.unit_of_work(), employee.id, not employee.active), self.employee_error)

    def add_employee(self) -> None:
        username, name = self.employee_username.text(), self.employee_name.text().strip()
        role = self.employee_role.currentData()

        password = self.employee_password.text() or None

        def clear() -> None:
            self.employee_username.clear()
            self.employee_name.clear()
            self.employee_password.clear()

        self._run(lambda _p: employee_services.add_employee(
            self.db.unit_of_work(), username, role, name=name or None, password=password),
            self.employee_error, clear)


def _fill(table: QTableWidget, rows: list[tuple], ids: list[int] | None = None,
          inactive: list[bool] | None = None) -> None:
    """The rows, each item holding its row's id; inactive rows in grey. A selected row stays
    selected across a reload."""
    selected = _selected_id(table)
    table.setRowCount(0)
    for number, values in enumerate(rows):
        table.insertRow(number)
        for column, value in enumerate(values):
            item = text_item(value)
            if ids is not None:
                item.setData(Qt.ItemDataRole.UserRole, ids[number])
            if inactive is not None and inactive[number]:
                item.setForeground(MUTED_COLOR)
            table.setItem(number, column, item)
    if ids is not None and selected in ids:
        table.selectRow(ids.index(selected))
    fit_columns_once(table)


def _selected_id(table: QTableWidget) -> int | None:
    item = table.item(table.currentRow(), 0) if table.selectedItems() else None
    return None if item is None else item.data(Qt.ItemDataRole.UserRole)
