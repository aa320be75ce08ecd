"""What PostgreSQL itself enforces (issue 15): group roles per function, their GRANTs, the audit
trail's triggers and the SECURITY DEFINER functions of the BSN and of the employees' logins.

``apply(connection)`` runs after every ``db upgrade`` on PostgreSQL, as the schema owner: it
creates what is missing and sets every GRANT again from ``WRITES`` below, so a table added by a
later migration is covered without a migration of its own. SQLite (one workstation) has none of
this: there the application's roles are the only ones.

The employees' logins are members of exactly one group; no employee login owns a table. The
owner (who runs ``db upgrade``) needs CREATEROLE: the login functions create and change the
employees' logins on the beheerder's behalf.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

from sqlalchemy import Connection, text

from app.models.employee import Role

GROUPS: dict[Role, str] = {
    Role.BACKOFFICE: "hhb_backoffice",
    Role.FRONTOFFICE: "hhb_frontoffice",
    Role.TEAMLEADER: "hhb_teamleider",
    Role.ADMIN: "hhb_beheerder",
}
ROLE_OF_GROUP = {group: role for role, group in GROUPS.items()}

# The one setting every role writes: the day everyone's signals were last evaluated (the first
# start of the day does it, whoever starts first). Row-level security keeps the others to the
# beheerder.
SHARED_SETTING = "signalen.geevalueerd_op"

# Set by the owner for deliberate maintenance of the audit trail (SET hhb.audit_onderhoud =
# 'aan'); without it the triggers refuse UPDATE, DELETE and TRUNCATE, even to the owner.
MAINTENANCE_FLAG = "hhb.audit_onderhoud"

# Columns of audit_log a login may fill; the chain trigger sets id, time (over the client's),
# login and hashes.
AUDIT_INSERT_COLUMNS = "at, actor, action, entity, entity_id, before, after, role, host, result"

_EVERY = tuple(Role)
_BO, _FO, _TL, _ADMIN = Role.BACKOFFICE, Role.FRONTOFFICE, Role.TEAMLEADER, Role.ADMIN

# Who may change what, per table. Everybody reads every table except the BSN column.
# A column list in parentheses limits the privilege to those columns.
WRITES: dict[str, dict[str, tuple[Role, ...]]] = {
    # Evaluated before every commit that touches a participant, by whoever commits.
    "signals": {"INSERT": _EVERY, "UPDATE": _EVERY},
    "settings": {"INSERT": _EVERY, "UPDATE": _EVERY, "DELETE": (_ADMIN,)},  # RLS: see above
    "audit_log": {f"INSERT ({AUDIT_INSERT_COLUMNS})": _EVERY},
    # Dossiers: the frontoffice keeps them; the backoffice takes them in from a workbook and
    # ends them (eindafrekening); the teamleader records the Voortgang (assessments, the talk).
    # Evaluating signals locks the participants evaluated (FOR NO KEY UPDATE), which needs an
    # UPDATE right on some column: the beheerder has it on the version only.
    "participants": {"INSERT": (_FO, _BO), "UPDATE": (_FO, _BO),
                     "UPDATE (self_reliance, debt_situation, intake_self_reliance, "
                     "intake_debt_situation, next_progress_talk, updated_at, version)": (_TL,),
                     "UPDATE (version)": (_ADMIN,)},
    "participant_status_changes": {"INSERT": (_FO, _BO)},
    "contact_notes": {"INSERT": (_FO, _BO, _TL)},
    "referrals": {"INSERT": (_FO, _TL), "UPDATE": (_FO, _TL)},
    "bank_accounts": {"INSERT": (_FO, _BO, _ADMIN), "UPDATE": (_FO, _BO, _ADMIN)},
    "organisations": {"INSERT": (_BO, _ADMIN), "UPDATE": (_BO, _ADMIN)},
    # Money: the backoffice only.
    "agreements": {"INSERT": (_BO,), "UPDATE": (_BO,)},
    "agreement_search_terms": {"INSERT": (_BO,), "UPDATE": (_BO,), "DELETE": (_BO,)},
    "agreement_learned_patterns": {"INSERT": (_BO,), "DELETE": (_BO,)},
    "imported_files": {"INSERT": (_BO,), "UPDATE": (_BO,)},
    "statements": {"INSERT": (_BO,), "UPDATE": (_BO,)},
    "bank_transactions": {"INSERT": (_BO,), "UPDATE": (_BO,)},
    "bookings": {"INSERT": (_BO,), "UPDATE": (_BO,), "DELETE": (_BO,)},
    "match_suggestions": {"INSERT": (_BO,), "UPDATE": (_BO,), "DELETE": (_BO,)},
    "payouts": {"INSERT": (_BO,), "UPDATE": (_BO,), "DELETE": (_BO,)},
    "payout_batches": {"INSERT": (_BO,), "UPDATE": (_BO,)},
    "repayment_plans": {"INSERT": (_BO,), "UPDATE": (_BO,)},
    # Management.
    # The workbook import adds a contact person it does not know yet (without a login: only the
    # beheerder's users add makes one, and the role comes from the login's group).
    "employees": {"INSERT": (_ADMIN, _BO), "UPDATE": (_ADMIN,)},
    "categories": {"INSERT": (_ADMIN,), "UPDATE": (_ADMIN,)},
    # The letter's texts (Instellingen › Brieven); "terug naar standaardtekst" deletes the row.
    "letter_texts": {"INSERT": (_ADMIN,), "UPDATE": (_ADMIN,), "DELETE": (_ADMIN,)},
}

# SECURITY DEFINER functions and who may call them (EXECUTE is revoked from PUBLIC).
FUNCTIONS: dict[str, tuple[Role, ...]] = {
    "hhb_reveal_bsn(integer, text, text, text)": _EVERY,
    "hhb_search_bsn(text, text, text, text)": _EVERY,
    "hhb_bsn_holder(text, integer)": (_FO, _BO),
    "hhb_bsns_among(text[])": (_BO,),
    "hhb_login_create(text, text, text)": (_ADMIN,),
    "hhb_login_enable(text, boolean)": (_ADMIN,),
    "hhb_login_set_group(text, text)": (_ADMIN,),
}

_TO_UTC_TEXT = """to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""

_DEFINITIONS = [
    # The chain: the head row is locked (the first row of a transaction takes the lock, later
    # ones find it held), the id follows the last row (so ids and chain order agree between
    # concurrent clerks, without the gaps of a sequence; rows inserted before in the same
    # statement are visible here) and the hash is computed as app.services.unit_of_work.
    # entry_hash does. The head itself moves once per statement (hhb_audit_head), not per row:
    # a row updated a thousand times in one transaction makes every later update slower.
    # Owned by the schema owner, so logins need no right on audit_head.
    f"""
    CREATE OR REPLACE FUNCTION hhb_audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
    DECLARE
        head record;
        last record;
    BEGIN
        SELECT last_id, last_hash INTO head FROM audit_head WHERE id = 1 FOR UPDATE;
        SELECT id, hash INTO last FROM audit_log ORDER BY id DESC LIMIT 1;
        IF last.id IS NULL OR last.id < head.last_id THEN
            -- an empty log (or a head that says more than the rows: verify will tell)
            NEW.id := head.last_id + 1;
            NEW.prev_hash := head.last_hash;
        ELSE
            NEW.id := last.id + 1;
            NEW.prev_hash := last.hash;
        END IF;
        NEW.at := clock_timestamp();
        NEW.db_user := session_user;
        NEW.result := coalesce(NEW.result, 'gedaan');
        NEW.hash := encode(sha256(convert_to(concat_ws(E'\\x1f',
            NEW.prev_hash, {_TO_UTC_TEXT}, NEW.actor, NEW.action, NEW.entity,
            coalesce(NEW.entity_id, ''), coalesce(NEW.before, ''), coalesce(NEW.after, ''),
            coalesce(NEW.db_user, ''), coalesce(NEW.role, ''), coalesce(NEW.host, ''),
            NEW.result), 'UTF8')), 'hex');
        RETURN NEW;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION hhb_audit_head() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    BEGIN
        UPDATE audit_head SET (last_id, last_hash) =
            (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1)
         WHERE id = 1;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION hhb_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF coalesce(current_setting('{MAINTENANCE_FLAG}', true), '') = 'aan'
           OR (TG_TABLE_NAME = 'audit_head' AND pg_trigger_depth() > 1) THEN
            IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'Het logboek kan alleen worden aangevuld (% op % geweigerd)',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "DROP TRIGGER IF EXISTS hhb_audit_chain ON audit_log",
    "CREATE TRIGGER hhb_audit_chain BEFORE INSERT ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION hhb_audit_chain()",
    "DROP TRIGGER IF EXISTS hhb_audit_head ON audit_log",
    "CREATE TRIGGER hhb_audit_head AFTER INSERT ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION hhb_audit_head()",
    "DROP TRIGGER IF EXISTS hhb_audit_append_only ON audit_log",
    "CREATE TRIGGER hhb_audit_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION hhb_audit_append_only()",
    "DROP TRIGGER IF EXISTS hhb_audit_no_truncate ON audit_log",
    "CREATE TRIGGER hhb_audit_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION hhb_audit_append_only()",
    "DROP TRIGGER IF EXISTS hhb_audit_head_guard ON audit_head",
    "CREATE TRIGGER hhb_audit_head_guard BEFORE UPDATE OR DELETE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION hhb_audit_append_only()",
    "DROP TRIGGER IF EXISTS hhb_audit_head_no_truncate ON audit_head",
    "CREATE TRIGGER hhb_audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION hhb_audit_append_only()",
    # The BSN: readable only here, and every reading leaves an audit row.
    """
    CREATE OR REPLACE FUNCTION hhb_reveal_bsn(p_participant integer, p_actor text,
                                              p_role text, p_host text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    DECLARE
        found_bsn text;
    BEGIN
        SELECT bsn INTO found_bsn FROM participants WHERE id = p_participant;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'Deelnemer % bestaat niet', p_participant
                USING ERRCODE = 'no_data_found';
        END IF;
        INSERT INTO audit_log (actor, action, entity, entity_id, role, host, result)
        VALUES (p_actor, 'BSN getoond', 'participants', p_participant::text, p_role, p_host,
                'gedaan');
        RETURN found_bsn;
    END $$
    """,
    # "Who has BSN X" (4 to 9 digits: the end of a BSN, or all of it) leaves a row naming the
    # dossiers found; the row holds only the last three digits searched.
    """
    CREATE OR REPLACE FUNCTION hhb_search_bsn(p_digits text, p_actor text, p_role text,
                                              p_host text) RETURNS SETOF integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    DECLARE
        ids integer[];
        numbers text[];
    BEGIN
        IF p_digits IS NULL OR p_digits !~ '^[0-9]{4,9}$' THEN
            RAISE EXCEPTION 'Zoek op 4 tot 9 cijfers van een BSN'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT coalesce(array_agg(id ORDER BY id), '{}'), coalesce(array_agg(number ORDER BY id),
               '{}')
          INTO ids, numbers
          FROM participants
         WHERE CASE WHEN length(p_digits) = 9 THEN bsn = p_digits
                    ELSE bsn LIKE '%' || p_digits END;
        INSERT INTO audit_log (actor, action, entity, after, role, host, result)
        VALUES (p_actor, 'gezocht op BSN', 'participants',
                json_build_object('bsn', repeat('*', length(p_digits) - 3) || right(p_digits, 3),
                                  'gevonden', to_json(numbers))::text,
                p_role, p_host, 'gedaan');
        RETURN QUERY SELECT unnest(ids);
    END $$
    """,
    # Whether a BSN is in use (creating or correcting a dossier): the dossier number only. A
    # refusal because of it is logged by the service in its own transaction.
    """
    CREATE OR REPLACE FUNCTION hhb_bsn_holder(p_bsn text, p_except integer) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT number FROM participants
         WHERE bsn = p_bsn AND (p_except IS NULL OR id <> p_except) LIMIT 1
    $$
    """,
    # Which of these candidates are somebody's BSN (the workbook's new dossiers; the 9-digit
    # runs of payment texts that must never carry one).
    """
    CREATE OR REPLACE FUNCTION hhb_bsns_among(p_candidates text[])
        RETURNS TABLE (bsn text, number text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT p.bsn::text, p.number::text
          FROM (SELECT DISTINCT c FROM unnest(p_candidates) AS c) AS candidate
          JOIN participants AS p ON p.bsn = candidate.c
    $$
    """,
    # The employees' logins, on the beheerder's behalf. Only logins in one of our groups can be
    # changed, so nobody disables the owner or gives themselves another database's role.
    """
    CREATE OR REPLACE FUNCTION hhb_login_create(p_name text, p_verifier text, p_group text)
        RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    BEGIN
        IF p_name !~ '^[a-z_][a-z0-9_.\\-]{0,62}$' THEN
            RAISE EXCEPTION 'Ongeldige gebruikersnaam %', p_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF p_group NOT IN ('hhb_backoffice', 'hhb_frontoffice', 'hhb_teamleider',
                           'hhb_beheerder') THEN
            RAISE EXCEPTION 'Onbekende groep %', p_group USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF p_verifier !~ '^SCRAM-SHA-256\\$' THEN
            RAISE EXCEPTION 'Het wachtwoord moet als SCRAM-verifier komen'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
            RAISE EXCEPTION 'Er bestaat al een databasegebruiker %', p_name
                USING ERRCODE = 'duplicate_object';
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_name, p_verifier, p_group);
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION hhb_employee_login(p_name text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS $$
        SELECT EXISTS (
            SELECT 1 FROM pg_roles AS r
             WHERE r.rolname = p_name AND NOT r.rolsuper
               AND EXISTS (SELECT 1 FROM pg_auth_members AS m JOIN pg_roles AS g ON g.oid = m.roleid
                            WHERE m.member = r.oid
                              AND g.rolname IN ('hhb_backoffice', 'hhb_frontoffice',
                                                'hhb_teamleider', 'hhb_beheerder')))
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION hhb_login_enable(p_name text, p_enabled boolean) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    BEGIN
        IF NOT hhb_employee_login(p_name) THEN
            RETURN false;
        END IF;
        IF p_enabled THEN
            EXECUTE format('ALTER ROLE %I LOGIN', p_name);
        ELSE
            EXECUTE format('ALTER ROLE %I NOLOGIN', p_name);
        END IF;
        RETURN true;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION hhb_login_set_group(p_name text, p_group text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    DECLARE
        other text;
    BEGIN
        IF p_group NOT IN ('hhb_backoffice', 'hhb_frontoffice', 'hhb_teamleider',
                           'hhb_beheerder') THEN
            RAISE EXCEPTION 'Onbekende groep %', p_group USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT hhb_employee_login(p_name) THEN
            RETURN false;
        END IF;
        FOREACH other IN ARRAY ARRAY['hhb_backoffice', 'hhb_frontoffice', 'hhb_teamleider',
                                     'hhb_beheerder'] LOOP
            IF other <> p_group THEN
                EXECUTE format('REVOKE %I FROM %I', other, p_name);
            END IF;
        END LOOP;
        EXECUTE format('GRANT %I TO %I', p_group, p_name);
        RETURN true;
    END $$
    """,
]


def apply(connection: Connection) -> None:
    """Create the groups, triggers and functions, and set every GRANT again (idempotent)."""
    if connection.dialect.name != "postgresql":
        return
    schema = connection.scalar(text("SELECT current_schema()"))
    database = connection.scalar(text("SELECT current_database()"))
    cursor = connection.connection.driver_connection.cursor()

    def run(statement: str) -> None:
        cursor.execute(statement)  # no parameters: '%' is plpgsql's, not a placeholder

    for group in GROUPS.values():
        run(f"""DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') THEN
                        CREATE ROLE {group} NOLOGIN;
                    END IF;
                EXCEPTION WHEN duplicate_object THEN NULL;
                END $$""")
    for statement in _DEFINITIONS:
        run(statement.replace("{schema}", _quote(schema)))
    groups = ", ".join(GROUPS.values())
    tables = connection.scalars(text(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = :schema AND table_type = 'BASE TABLE' ORDER BY table_name"),
        {"schema": schema}).all()
    missing = set(WRITES) - set(tables)
    assert not missing, f"WRITES names tables that do not exist: {missing}"
    run(f"REVOKE ALL ON DATABASE {_quote(database)} FROM PUBLIC")
    run(f"GRANT CONNECT, TEMPORARY ON DATABASE {_quote(database)} TO {groups}")
    run(f"REVOKE CREATE ON SCHEMA {_quote(schema)} FROM PUBLIC")
    run(f"GRANT USAGE ON SCHEMA {_quote(schema)} TO {groups}")
    run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {_quote(schema)} FROM {groups}")
    run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {_quote(schema)} FROM {groups}")
    run(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {_quote(schema)} FROM PUBLIC, {groups}")
    for table in tables:
        if table == "participants":
            columns = connection.scalars(text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = :schema AND table_name = 'participants' "
                "AND column_name <> 'bsn' ORDER BY ordinal_position"), {"schema": schema}).all()
            run(f"GRANT SELECT ({', '.join(map(_quote, columns))}) ON participants TO {groups}")
        else:
            run(f"GRANT SELECT ON {_quote(table)} TO {groups}")
    for table, privileges in WRITES.items():
        for privilege, roles in privileges.items():
            receivers = ", ".join(GROUPS[role] for role in roles)
            run(f"GRANT {privilege} ON {_quote(table)} TO {receivers}")
    run(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_quote(schema)} TO {groups}")
    for function, roles in FUNCTIONS.items():
        run(f"GRANT EXECUTE ON FUNCTION {function} TO "
            + ", ".join(GROUPS[role] for role in roles))
    # The trigger functions run as their owner; nobody calls them directly.
    run("ALTER TABLE settings ENABLE ROW LEVEL SECURITY")
    run("DROP POLICY IF EXISTS hhb_settings_read ON settings")
    run(f"CREATE POLICY hhb_settings_read ON settings FOR SELECT TO {groups} USING (true)")
    run("DROP POLICY IF EXISTS hhb_settings_beheer ON settings")
    run("CREATE POLICY hhb_settings_beheer ON settings FOR ALL TO hhb_beheerder "
        "USING (true) WITH CHECK (true)")
    run("DROP POLICY IF EXISTS hhb_settings_shared ON settings")
    run("CREATE POLICY hhb_settings_shared ON settings FOR ALL "
        "TO hhb_backoffice, hhb_frontoffice, hhb_teamleider "
        f"USING (key = '{SHARED_SETTING}') WITH CHECK (key = '{SHARED_SETTING}')")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores (RFC 5802/7677): the password itself never
    reaches the server or its statement log."""
    salt = os.urandom(16)
    normalised = unicodedata.normalize("NFKC", password).encode()  # SASLprep, closely enough
    salted = hashlib.pbkdf2_hmac("sha256", normalised, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return (f"SCRAM-SHA-256${iterations}:{b64(salt)}"
            f"${b64(stored_key)}:{b64(server_key)}")
