"""``CaseStore``: the case database API over DuckDB and the content-addressed store.

Thread safety: a store holds one DuckDB connection per process and opens a fresh
``cursor()`` for every call, so one ``CaseStore`` may be shared by the dashboard's
session threads. Writes additionally take a per-database lock, because each write reads
the audit chain's head and appends the next link in the same transaction.

Processes: DuckDB lets one process at a time open the file, so the connection is held by
lease (``cases.connection``): opened when a call needs it, closed after a short idle
time. The dashboard and ``casebook`` commands thus take turns on one file; a process
that finds it taken waits (``CASEBOOK_LOCK_WAIT_S``) and then gets a ``DatabaseLocked``
naming the holder.

Turns, anchors, anchor events, measurements and sign matches have no update path here:
corrections are new rows. Every write and its audit record commit in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from io import BytesIO
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
from pydicom import dcmread
from pydicom.dataset import Dataset

from cases import audit, case_list, verification, worklist
from cases.connection import DatabaseLease, connect_waiting, lock_wait_s
from cases.content_store import (
    ContentStore,
    StoredFile,
    salt_fingerprint,
    store_dir_for,
)
from cases.decoded import DecodedImage, IntakeLimits
from cases.deidentify import remap_uid
from cases.display import needs_header, to_display
from cases.errors import (
    InvalidRecord,
    RecordNotFound,
    StoreCorrupted,
    StoreUnwritable,
)
from cases.intake import read_image, read_image_file
from cases.migrations import migrate
from cases.model import (
    Anchor,
    AnchorEvent,
    AnchorState,
    AnchorStatus,
    Annotation,
    AnnotationId,
    AnnotationWrite,
    AuditProblem,
    AuditRecord,
    AuditReport,
    BurnedInPolicy,
    CalibrationSource,
    Case,
    CaseDetail,
    CaseId,
    CasePage,
    CaseQuery,
    CaseSummary,
    Conversation,
    ConversationId,
    DeidReport,
    Image,
    ImageId,
    ImportOutcome,
    ImportStatus,
    JsonObject,
    Measurement,
    Row,
    SignMatch,
    StoreStats,
    Turn,
    TurnDetail,
    TurnWrite,
    payload,
    utc_now,
)
from cases.tables import TABLES, columns_sql
from cases.turns import (
    anchor_order,
    check_turn_index,
    json_object,
    place_turn,
    turn_entity_id,
    turn_payload,
)
from cases.verification import SALT_KEY, analysis_payload
from kernel import FIRST_TURN

logger = logging.getLogger(__name__)

_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()
MEMORY = ":memory:"


def _write_lock(key: str) -> threading.RLock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())


def open_store(path: Path | str, *, store_dir: Path | None = None) -> CaseStore:
    """Open (creating or upgrading) the case database at ``path``.

    Args:
        path: the DuckDB file, or ``":memory:"`` for a throwaway database.
        store_dir: folder for pixels, headers and analyses; defaults to
            ``<db stem>.store`` beside the database. Required for ``":memory:"``.

    Raises:
        DatabaseLocked: another process holds the file.
        InvalidDatabase: the file is not a DuckDB database.
        SchemaTooNew: the database was written by a newer casebook.
        StoreUnwritable: the database folder or the store folder beside it cannot be
            created or written (a file in the way, permissions).
    """
    in_memory = str(path) == MEMORY
    if in_memory and store_dir is None:
        raise ValueError("an in-memory database needs store_dir for its pixel files")
    db_path = Path(str(path))
    if not in_memory:
        db_path = db_path.expanduser().resolve()
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnwritable(
                f"folder {db_path.parent} for database {db_path.name} cannot be created",
                exc,
            ) from exc
    connection = connect_waiting(MEMORY if in_memory else db_path, lock_wait_s())
    try:
        migrate(connection, label=str(db_path))
        content = ContentStore(
            store_dir if store_dir is not None else store_dir_for(db_path)
        )
        salt = content.salt()
    except BaseException:
        connection.close()
        raise
    lock_key = f"memory:{id(connection)}" if in_memory else str(db_path)
    store = CaseStore(
        lease=DatabaseLease(None if in_memory else db_path, connection),
        db_path=None if in_memory else db_path,
        content=content,
        salt=salt,
        lock=_write_lock(lock_key),
    )
    try:
        store.record_file_hashes()
    except BaseException:
        store.close()
        raise
    return store


class CaseStore:
    """Cases, images, conversations, annotations and the audit chain.

    Build it with ``open_store``. Safe to share between threads (see the module docs).
    """

    def __init__(
        self,
        *,
        lease: DatabaseLease,
        db_path: Path | None,
        content: ContentStore,
        salt: bytes,
        lock: threading.RLock,
    ) -> None:
        self._lease = lease
        self.db_path = db_path
        self.content = content
        self._salt = salt
        self._lock = lock

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the connection (and release the file for other processes)."""
        self._lease.close()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep the database file open across several calls (one unit of work).

        Between calls a store releases the file when idle (``cases.connection``), so
        another process may write in between; hold it where calls must see each other.
        """
        self._lease.acquire()
        try:
            yield
        finally:
            self._lease.release()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        connection = self._lease.acquire()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            self._lease.release()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a unit of work in one transaction under the write lock."""
        with self._lock, self._cursor() as cursor:
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _insert(
        self, cursor: duckdb.DuckDBPyConnection, records: Sequence[Row]
    ) -> None:
        """Insert records of one type with a single multi-row statement."""
        if not records:
            return
        record_type = type(records[0])
        columns = record_type.COLUMNS
        row_marks = "(" + ", ".join("?" for _ in columns) + ")"
        values: list[Any] = []
        for record in records:
            row = record.to_row()
            values.extend(row[c] for c in columns)
        cursor.execute(
            f"INSERT INTO {TABLES[record_type]} ({columns_sql(record_type)}) VALUES "
            + ", ".join(row_marks for _ in records),
            values,
        )

    def _append_audit(
        self,
        cursor: duckdb.DuckDBPyConnection,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        payload: JsonObject,
    ) -> AuditRecord:
        """Append the next audit record inside the caller's transaction.

        Raises:
            InvalidRecord: the write names no actor (every record must say who).
        """
        if not actor or not actor.strip():
            raise InvalidRecord(
                f"{action}: every write must name its actor (a user or a service)"
            )
        # max() then a primary-key lookup: ORDER BY seq DESC LIMIT 1 would push every
        # record through DuckDB's top-N heap, because the log is stored in seq order.
        row = cursor.execute(
            f"SELECT {columns_sql(AuditRecord)} FROM audit_log "
            "WHERE seq = (SELECT max(seq) FROM audit_log)"
        ).fetchone()
        previous = AuditRecord.from_row(row) if row else None
        now = utc_now()
        if previous is not None and now < previous.recorded_at:
            now = (
                previous.recorded_at
            )  # the wall clock stepped back; keep the chain monotonic
        record = audit.make_record(
            previous,
            recorded_at=now,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            payload=payload,
        )
        self._insert(cursor, [record])
        return record

    # ------------------------------------------------------------------ import

    def import_file(
        self,
        path: Path,
        *,
        actor: str,
        spacing_mm: float | None = None,
        limits: IntakeLimits | None = None,
        burned_in: BurnedInPolicy = BurnedInPolicy.AUTO,
    ) -> ImportOutcome:
        """Import one DICOM, PNG or JPEG file (see ``import_decoded``).

        ``burned_in`` says when to look for burned-in text in the pixels and blank it
        (``AUTO``: when the DICOM header says Burned In Annotation is YES); the image's
        de-identification report (``find_deid_report``) lists what was blanked.

        Raises:
            InvalidImageFile, UnsupportedImage, UnsupportedTransferSyntax, ImageTooLarge:
                the file is refused; nothing is written.
        """
        decoded = read_image_file(
            Path(path),
            salt=self._salt,
            spacing_mm=spacing_mm,
            limits=limits,
            burned_in=burned_in,
        )
        return self.import_decoded(decoded, actor=actor)

    def import_bytes(
        self,
        data: bytes,
        *,
        name: str,
        actor: str,
        spacing_mm: float | None = None,
        limits: IntakeLimits | None = None,
        burned_in: BurnedInPolicy = BurnedInPolicy.AUTO,
    ) -> ImportOutcome:
        """Import an uploaded file held in memory (see ``import_file``)."""
        decoded = read_image(
            data,
            name=name,
            salt=self._salt,
            spacing_mm=spacing_mm,
            limits=limits,
            burned_in=burned_in,
        )
        return self.import_decoded(decoded, actor=actor)

    def import_decoded(self, decoded: DecodedImage, *, actor: str) -> ImportOutcome:
        """Store a decoded image: pixels and header files, then its rows, in one transaction.

        A DICOM image joins the case of its (remapped) study when one exists; otherwise a
        new case is opened. Pixels that are already stored are reported, not duplicated,
        and keep their stored calibration (``ImportOutcome.ignored_calibration`` says
        when this import's differs).
        """
        with self._lock, self.held():
            existing = self.find_image(decoded.image_id)
            if existing is not None:
                # An image is immutable once stored (turns and measurements used its
                # spacing), so a different --spacing-mm is reported, never applied.
                ignored = (
                    decoded.calibration
                    if decoded.calibration != existing.calibration
                    else None
                )
                return ImportOutcome(
                    status=ImportStatus.EXISTING,
                    case_id=existing.case_id,
                    image=existing,
                    new_case=False,
                    ignored_calibration=ignored,
                )
            created: list[StoredFile] = []
            try:
                pixels = self.content.put_pixels(decoded.image_id, decoded.pixels)
                created.append(pixels)
                header = None
                if decoded.header is not None:
                    # Named by its own SHA-256, which the audited image row then holds,
                    # so an edit to the header file is detected (audit verify).
                    header = self.content.put_header(
                        hashlib.sha256(decoded.header).hexdigest(), decoded.header
                    )
                    created.append(header)
                outcome = self._insert_import(
                    decoded, actor, pixels.relative, header.relative if header else None
                )
            except BaseException:
                self.content.discard(created)
                raise
        logger.info(
            "imported image %s into case %s", decoded.image_id[:12], outcome.case_id
        )
        return outcome

    def _insert_import(
        self,
        decoded: DecodedImage,
        actor: str,
        store_path: str,
        header_path: str | None,
    ) -> ImportOutcome:
        now = utc_now()
        with self._transaction() as cursor:
            case = None
            if decoded.study_uid is not None:
                row = cursor.execute(
                    f"SELECT {columns_sql(Case)} FROM cases WHERE study_uid = ?",
                    [decoded.study_uid],
                ).fetchone()
                case = Case.from_row(row) if row else None
            new_case = case is None
            if case is None:
                number = _next_value(cursor, "case_number_seq")
                case = Case(
                    case_id=CaseId(f"C{number:06d}"),
                    study_uid=decoded.study_uid,
                    created_at=now,
                    created_by=actor,
                )
                self._insert(cursor, [case])
                self._append_audit(
                    cursor,
                    actor=actor,
                    action="case.create",
                    entity_type="case",
                    entity_id=case.case_id,
                    payload=payload(case),
                )
            image = _image_from_decoded(
                decoded, case.case_id, store_path, header_path, actor, now
            )
            self._insert(cursor, [image])
            self._append_audit(
                cursor,
                actor=actor,
                action="image.import",
                entity_type="image",
                entity_id=image.image_id,
                payload=payload(image),
            )
            if decoded.deid is not None:
                report = DeidReport(
                    image_id=image.image_id, summary=decoded.deid, created_at=now
                )
                self._insert(cursor, [report])
                self._append_audit(
                    cursor,
                    actor=actor,
                    action="image.deid_report",
                    entity_type="deid_report",
                    entity_id=image.image_id,
                    payload=payload(report),
                )
            if new_case:
                cursor.execute(
                    case_list.SUMMARY_NEW_CASE_SQL,
                    [
                        case.case_id,
                        now.replace(tzinfo=None),
                        image.modality,
                        image.view_position,
                        image.calibration.source.value,
                        len(image.warnings),
                    ],
                )
            else:
                cursor.execute(
                    case_list.SUMMARY_ADD_IMAGE_SQL, [len(image.warnings), case.case_id]
                )
        return ImportOutcome(
            status=ImportStatus.IMPORTED,
            case_id=case.case_id,
            image=image,
            new_case=new_case,
        )

    # ------------------------------------------------------------------ cases and images

    def find_case(self, case_id: str) -> Case | None:
        """Return the case, or None when there is no such case."""
        with self._cursor() as cursor:
            row = cursor.execute(
                f"SELECT {columns_sql(Case)} FROM cases WHERE case_id = ?", [case_id]
            ).fetchone()
        return Case.from_row(row) if row else None

    def get_case(self, case_id: str) -> Case:
        """Return the case.

        Raises:
            RecordNotFound: there is no such case.
        """
        case = self.find_case(case_id)
        if case is None:
            raise RecordNotFound(
                f"case {case_id} does not exist; `casebook list` shows the cases"
            )
        return case

    def get_case_detail(self, case_id: str) -> CaseDetail:
        """Return the case with its images and conversation counts.

        Raises:
            RecordNotFound: there is no such case.
        """
        case = self.get_case(case_id)
        with self._cursor() as cursor:
            row = cursor.execute(
                """SELECT count(DISTINCT cv.conversation_id), count(t.turn_index)
                   FROM conversations cv LEFT JOIN turns t USING (conversation_id) WHERE cv.case_id = ?""",
                [case_id],
            ).fetchone()
        conversations, turns = row if row else (0, 0)
        return CaseDetail(
            case=case,
            images=self.list_images(case_id),
            conversation_count=conversations,
            turn_count=turns,
        )

    def list_images(self, case_id: str) -> tuple[Image, ...]:
        """Return the case's images, oldest import first."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"SELECT {columns_sql(Image)} FROM images WHERE case_id = ? ORDER BY imported_at, image_id",
                [case_id],
            ).fetchall()
        return tuple(Image.from_row(r) for r in rows)

    def find_image(self, image_id: str) -> Image | None:
        """Return the image with this pixel hash, or None."""
        with self._cursor() as cursor:
            row = cursor.execute(
                f"SELECT {columns_sql(Image)} FROM images WHERE image_id = ?",
                [image_id],
            ).fetchone()
        return Image.from_row(row) if row else None

    def get_image(self, image_id: str) -> Image:
        """Return the image with this pixel hash.

        Raises:
            RecordNotFound: there is no such image.
        """
        image = self.find_image(image_id)
        if image is None:
            raise RecordNotFound(f"image {image_id} does not exist")
        return image

    def derived_uid(self, seed: str) -> str:
        """Return a UID derived from ``seed`` and the installation salt.

        Deterministic in one installation, unlinkable without the salt: exports use it
        for the DICOM identity of PNG/JPEG imports and for tracking identifiers.
        """
        return remap_uid(seed, self._salt)

    def find_deid_report(self, image_id: str) -> DeidReport | None:
        """Return what de-identification removed and blanked on an image, or None.

        Images imported before reports existed (schema version 3) have none.
        """
        with self._cursor() as cursor:
            row = cursor.execute(
                f"SELECT {columns_sql(DeidReport)} FROM deid_reports WHERE image_id = ?",
                [image_id],
            ).fetchone()
        return DeidReport.from_row(row) if row else None

    def load_pixels(self, image: Image) -> npt.NDArray[np.generic]:
        """Load the stored pixel array (decoded, de-identified, before any LUT).

        Raises:
            StoreCorrupted: the pixel file is missing or does not match the record.
        """
        pixels = self.content.load_pixels(image.store_path)
        if (
            pixels.shape != (image.rows, image.columns)
            or pixels.dtype.str != image.dtype
        ):
            raise StoreCorrupted(
                f"pixel file {image.store_path} holds {pixels.dtype.str} {pixels.shape}, the database expects "
                f"{image.dtype} {(image.rows, image.columns)}; restore the store from a backup"
            )
        return pixels

    def load_header(self, image: Image) -> Dataset | None:
        """Return the de-identified DICOM header of an image (None for PNG/JPEG).

        Raises:
            StoreCorrupted: the header file is missing or no longer has its recorded
                SHA-256 (it was edited after import).
        """
        if image.header_path is None:
            return None
        data = self.content.read_bytes(image.header_path)
        with self._cursor() as cursor:
            expected = verification.expected_header_sha256(
                cursor, image.image_id, image.header_path
            )
        if expected is not None and hashlib.sha256(data).hexdigest() != expected:
            raise StoreCorrupted(
                f"header file {self.content.root / image.header_path} of image "
                f"{image.image_id[:12]} was altered since import; restore the store "
                "folder from a backup (`casebook restore`)"
            )
        return dcmread(BytesIO(data))

    def record_file_hashes(self) -> None:
        """Record the salt's fingerprint and legacy header hashes the database lacks.

        Runs at every read-write open and costs one query when nothing is missing.
        Images imported before header files were named by their own hash (migration
        0007) get the hash their header has now (trust on first use).
        """
        with self._lock, self._cursor() as cursor:
            missing = verification.missing_file_hashes(cursor)
        if not missing.salt and not missing.headers:
            return
        now = utc_now().replace(tzinfo=None)
        rows: list[list[Any]] = []
        if missing.salt:
            rows.append(["salt", SALT_KEY, salt_fingerprint(self._salt), now])
        for image_id, relative in missing.headers:
            try:
                data = self.content.read_bytes(relative)
            except StoreCorrupted:
                continue  # audit verify reports the missing file
            rows.append(["header", image_id, hashlib.sha256(data).hexdigest(), now])
        with self._transaction() as cursor:
            for row in rows:
                cursor.execute(
                    "INSERT INTO file_hashes (kind, key, sha256, recorded_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    row,
                )

    def load_display(self, image: Image) -> npt.NDArray[np.float32]:
        """Return presentation values in [0, 1], 1 = white (modality LUT, VOI, MONOCHROME1)."""
        header = self.load_header(image) if needs_header(image.display) else None
        return to_display(self.load_pixels(image), image.display, header)

    def list_cases(self, query: CaseQuery | None = None) -> CasePage:
        """Return one page of the case list and the number of matching cases."""
        query = query or CaseQuery()
        with self._cursor() as cursor:
            rows, total = self._page_rows(cursor, query)
        items = tuple(
            CaseSummary(
                case_id=CaseId(r[0]),
                created_at=r[1].replace(tzinfo=UTC),
                image_count=r[2],
                modality=r[3],
                view_position=r[4],
                calibration_source=None if r[5] is None else CalibrationSource(r[5]),
                warning_count=int(r[6]),
                conversation_count=r[7],
                turn_count=int(r[8]),
                last_turn_at=None if r[9] is None else r[9].replace(tzinfo=UTC),
            )
            for r in rows
        )
        return CasePage(
            items=items,
            total=total,
            page=query.page,
            page_size=query.page_size,
        )

    @staticmethod
    def _page_rows(
        cursor: duckdb.DuckDBPyConnection, query: CaseQuery
    ) -> tuple[list[Any], int]:
        """Return one page of summary rows and the number of matching cases."""
        if case_list.is_search(query):
            # One pass over the base tables gives both the page and the total.
            rows = cursor.execute(
                *case_list.page_sql(query, with_total=True)
            ).fetchall()
            if rows:
                return [r[:-1] for r in rows], int(rows[0][-1])
            counted = cursor.execute(*case_list.count_sql(query)).fetchone()
            return [], int(counted[0]) if counted else 0
        counted = cursor.execute(*case_list.count_sql(query)).fetchone()
        total = int(counted[0]) if counted else 0
        rows = cursor.execute(*case_list.page_sql(query, total)).fetchall()
        expected = max(
            0, min(query.page_size, total - (query.page - 1) * query.page_size)
        )
        if len(rows) < expected:  # the newest-first shortcut missed rows: sort them all
            rows = cursor.execute(*case_list.page_sql(query)).fetchall()
        return rows, total

    # ------------------------------------------------------------------ conversations

    def start_conversation(
        self,
        *,
        case_id: str,
        image_id: str,
        backend: str,
        model_id: str,
        model_version: str,
        parameters: Mapping[str, Any],
        actor: str,
        title: str | None = None,
    ) -> Conversation:
        """Open a conversation about one image of a case, recording the engine used.

        Raises:
            RecordNotFound: the case or image does not exist.
            InvalidRecord: the image belongs to another case.
        """
        image = self.get_image(image_id)
        if image.case_id != case_id:
            raise InvalidRecord(
                f"image {image_id[:12]} belongs to case {image.case_id}, not {case_id}"
            )
        with self._transaction() as cursor:
            number = _next_value(cursor, "conversation_id_seq")
            conversation = Conversation(
                conversation_id=ConversationId(number),
                case_id=CaseId(case_id),
                image_id=ImageId(image_id),
                backend=backend,
                model_id=model_id,
                model_version=model_version,
                parameters=json_object(parameters, "parameters"),
                title=title,
                created_by=actor,
                created_at=utc_now(),
            )
            self._insert(cursor, [conversation])
            self._append_audit(
                cursor,
                actor=actor,
                action="conversation.start",
                entity_type="conversation",
                entity_id=str(conversation.conversation_id),
                payload=payload(conversation),
            )
            cursor.execute(
                case_list.SUMMARY_ADD_CONVERSATION_SQL, [backend, backend, case_id]
            )
        return conversation

    def find_conversation(self, conversation_id: int) -> Conversation | None:
        """Return the conversation, or None."""
        with self._cursor() as cursor:
            row = cursor.execute(
                f"SELECT {columns_sql(Conversation)} FROM conversations WHERE conversation_id = ?",
                [conversation_id],
            ).fetchone()
        return Conversation.from_row(row) if row else None

    def get_conversation(self, conversation_id: int) -> Conversation:
        """Return the conversation.

        Raises:
            RecordNotFound: there is no such conversation.
        """
        conversation = self.find_conversation(conversation_id)
        if conversation is None:
            raise RecordNotFound(f"conversation {conversation_id} does not exist")
        return conversation

    def list_conversations(self, case_id: str) -> tuple[Conversation, ...]:
        """Return the case's conversations, oldest first."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"SELECT {columns_sql(Conversation)} FROM conversations WHERE case_id = ? ORDER BY conversation_id",
                [case_id],
            ).fetchall()
        return tuple(Conversation.from_row(r) for r in rows)

    def append_turn(self, write: TurnWrite) -> TurnDetail:
        """Store a turn and everything it wrote, with its audit record, in one transaction.

        The turn's anchors, anchor events, measurements and sign matches are inserted
        together; if any insert fails nothing of the turn remains.

        Raises:
            RecordNotFound: the conversation does not exist.
            WriteConflict: the turn index was already written (another session was first).
            InvalidRecord: the index skips a turn, or an anchor reference does not resolve.
        """
        conversation = self.get_conversation(write.conversation_id)
        with self._transaction() as cursor:
            detail = self._build_turn(cursor, write)
            self._insert(cursor, [detail.turn])
            self._insert(cursor, list(detail.anchors))
            self._insert(cursor, list(detail.anchor_events))
            self._insert(cursor, list(detail.measurements))
            self._insert(cursor, list(detail.sign_matches))
            self._append_audit(
                cursor,
                actor=write.actor,
                action="turn.append",
                entity_type="turn",
                entity_id=turn_entity_id(write.conversation_id, write.index),
                payload=turn_payload(detail),
            )
            created = detail.turn.created_at.replace(tzinfo=None)
            cursor.execute(
                case_list.SUMMARY_ADD_TURN_SQL, [created, created, conversation.case_id]
            )
        return detail

    def _build_turn(
        self, cursor: duckdb.DuckDBPyConnection, write: TurnWrite
    ) -> TurnDetail:
        """Check a turn write against the stored conversation and place its rows."""
        conversation_id = write.conversation_id
        row = cursor.execute(
            "SELECT coalesce(max(turn_index) + 1, ?) FROM turns WHERE conversation_id = ?",
            [FIRST_TURN, conversation_id],
        ).fetchone()
        check_turn_index(write, int(row[0]) if row else FIRST_TURN)
        known = {
            r[0]
            for r in cursor.execute(
                "SELECT DISTINCT anchor_id FROM anchors WHERE conversation_id = ?",
                [conversation_id],
            ).fetchall()
        }
        return place_turn(write, known_anchor_ids=known)

    def list_turns(self, conversation_id: int) -> tuple[Turn, ...]:
        """Return the conversation's turns in order."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"SELECT {columns_sql(Turn)} FROM turns WHERE conversation_id = ? ORDER BY turn_index",
                [conversation_id],
            ).fetchall()
        return tuple(Turn.from_row(r) for r in rows)

    def get_turn(self, conversation_id: int, turn_index: int) -> TurnDetail:
        """Return one turn with everything it wrote.

        Raises:
            RecordNotFound: there is no such turn.
        """
        with self._cursor() as cursor:
            row = cursor.execute(
                f"SELECT {columns_sql(Turn)} FROM turns WHERE conversation_id = ? AND turn_index = ?",
                [conversation_id, turn_index],
            ).fetchone()
            if row is None:
                raise RecordNotFound(
                    f"turn {turn_index} of conversation {conversation_id} does not exist"
                )
            key = [conversation_id, turn_index]
            anchors = cursor.execute(
                f"SELECT {columns_sql(Anchor)} FROM anchors WHERE conversation_id = ? AND turn_index = ? ORDER BY anchor_id",
                key,
            ).fetchall()
            events = cursor.execute(
                f"SELECT {columns_sql(AnchorEvent)} FROM turn_anchor_events WHERE conversation_id = ? AND turn_index = ? ORDER BY anchor_id",
                key,
            ).fetchall()
        return TurnDetail(
            turn=Turn.from_row(row),
            anchors=tuple(Anchor.from_row(r) for r in anchors),
            anchor_events=tuple(AnchorEvent.from_row(r) for r in events),
            measurements=self.list_measurements(conversation_id, turn_index),
            sign_matches=self.list_sign_matches(conversation_id, turn_index),
        )

    def list_anchors(self, conversation_id: int) -> tuple[Anchor, ...]:
        """Return every stored anchor version of a conversation, by turn then id."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"SELECT {columns_sql(Anchor)} FROM anchors WHERE conversation_id = ? ORDER BY turn_index, anchor_id",
                [conversation_id],
            ).fetchall()
        return tuple(Anchor.from_row(r) for r in rows)

    def anchors_after_turn(
        self, conversation_id: int, turn_index: int
    ) -> tuple[AnchorState, ...]:
        """Return the anchors as they stood after ``turn_index`` (for replay).

        Each anchor appears in its latest version written at or before that turn, with
        what that turn did to it (``None`` when the turn did not touch it).
        """
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT {columns_sql(Anchor)} FROM anchors WHERE conversation_id = ? AND turn_index <= ?
                    QUALIFY row_number() OVER (PARTITION BY anchor_id ORDER BY turn_index DESC) = 1""",
                [conversation_id, turn_index],
            ).fetchall()
            events = cursor.execute(
                "SELECT anchor_id, status FROM turn_anchor_events WHERE conversation_id = ? AND turn_index = ?",
                [conversation_id, turn_index],
            ).fetchall()
        status = {anchor_id: AnchorStatus(value) for anchor_id, value in events}
        anchors = sorted(
            (Anchor.from_row(r) for r in rows), key=lambda a: anchor_order(a.anchor_id)
        )
        return tuple(
            AnchorState(anchor=a, status_in_turn=status.get(a.anchor_id))
            for a in anchors
        )

    def list_anchor_events(self, conversation_id: int) -> tuple[AnchorEvent, ...]:
        """Return what every turn did with every anchor, in turn order."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"SELECT {columns_sql(AnchorEvent)} FROM turn_anchor_events WHERE conversation_id = ? ORDER BY turn_index, anchor_id",
                [conversation_id],
            ).fetchall()
        return tuple(AnchorEvent.from_row(r) for r in rows)

    def list_measurements(
        self, conversation_id: int, turn_index: int | None = None
    ) -> tuple[Measurement, ...]:
        """Return a conversation's measurements (or one turn's), in order."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT {columns_sql(Measurement)} FROM measurements
                    WHERE conversation_id = ? AND (? IS NULL OR turn_index = ?)
                    ORDER BY turn_index, measurement_index""",
                [conversation_id, turn_index, turn_index],
            ).fetchall()
        return tuple(Measurement.from_row(r) for r in rows)

    def list_sign_matches(
        self, conversation_id: int, turn_index: int | None = None
    ) -> tuple[SignMatch, ...]:
        """Return a conversation's scorecard items (or one turn's), in order."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT {columns_sql(SignMatch)} FROM sign_matches
                    WHERE conversation_id = ? AND (? IS NULL OR turn_index = ?)
                    ORDER BY turn_index, item_index""",
                [conversation_id, turn_index, turn_index],
            ).fetchall()
        return tuple(SignMatch.from_row(r) for r in rows)

    # ------------------------------------------------------------------ annotations

    def add_annotation(self, write: AnnotationWrite) -> Annotation:
        """Store a reviewer annotation (never edited later; a new verdict is a new row).

        Raises:
            RecordNotFound: the image, conversation or turn does not exist.
            InvalidRecord: the image is not part of the case, or the anchor is unknown.
        """
        image = self.get_image(write.image_id)
        if image.case_id != write.case_id:
            raise InvalidRecord(
                f"image {write.image_id[:12]} belongs to case {image.case_id}, not {write.case_id}"
            )
        self._check_annotation_link(write)
        with self._transaction() as cursor:
            number = _next_value(cursor, "annotation_id_seq")
            annotation = Annotation(
                annotation_id=AnnotationId(number),
                case_id=write.case_id,
                image_id=write.image_id,
                author=write.author,
                geometry=write.geometry,
                label=write.label,
                verdict=write.verdict,
                note=write.note,
                conversation_id=write.conversation_id,
                turn_index=write.turn_index,
                anchor_id=write.anchor_id,
                created_at=utc_now(),
            )
            self._insert(cursor, [annotation])
            self._append_audit(
                cursor,
                actor=write.author,
                action="annotation.add",
                entity_type="annotation",
                entity_id=str(annotation.annotation_id),
                payload=payload(annotation),
            )
            if annotation.verdict is not None:
                verdict = annotation.verdict.value
                cursor.execute(
                    case_list.SUMMARY_ADD_VERDICT_SQL,
                    [verdict, verdict, annotation.case_id],
                )
        return annotation

    def _check_annotation_link(self, write: AnnotationWrite) -> None:
        if write.conversation_id is None:
            return
        conversation = self.get_conversation(write.conversation_id)
        if conversation.case_id != write.case_id:
            raise InvalidRecord(
                f"conversation {write.conversation_id} is about case {conversation.case_id}, not {write.case_id}"
            )
        if write.turn_index is not None:
            self.get_turn(write.conversation_id, write.turn_index)
        if write.anchor_id is not None and write.anchor_id not in {
            a.anchor_id for a in self.list_anchors(write.conversation_id)
        }:
            raise InvalidRecord(
                f"anchor {write.anchor_id} does not exist in conversation {write.conversation_id}"
            )

    def list_annotations(
        self, case_id: str, image_id: str | None = None
    ) -> tuple[Annotation, ...]:
        """Return the case's annotations (optionally of one image), oldest first."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT {columns_sql(Annotation)} FROM annotations
                    WHERE case_id = ? AND (? IS NULL OR image_id = ?) ORDER BY annotation_id""",
                [case_id, image_id, image_id],
            ).fetchall()
        return tuple(Annotation.from_row(r) for r in rows)

    # ------------------------------------------------------------------ analyses

    def put_analysis(
        self,
        image_sha256: str,
        engine_version: str,
        payload_bytes: bytes,
        *,
        actor: str = "engine",
    ) -> None:
        """Keep an engine analysis of an image as a file; DuckDB keeps only its path.

        Storing the same analysis again is a no-op; a different payload for the same
        image and engine version replaces the cache entry (and is audited).

        Raises:
            RecordNotFound: the image does not exist.
        """
        self.get_image(image_sha256)
        with self._lock:
            digest, stored = self.content.put_blob(payload_bytes)
            try:
                self._record_analysis(
                    image_sha256,
                    engine_version,
                    digest,
                    stored,
                    len(payload_bytes),
                    actor,
                )
            except BaseException:
                self.content.discard([stored])
                raise

    def _record_analysis(
        self,
        image_id: str,
        engine_version: str,
        digest: str,
        stored: StoredFile,
        size: int,
        actor: str,
    ) -> None:
        with self._transaction() as cursor:
            row = cursor.execute(
                "SELECT payload_sha256 FROM analyses WHERE image_id = ? AND engine_version = ?",
                [image_id, engine_version],
            ).fetchone()
            if row and row[0] == digest:
                return
            # The analysis cache is derived data, not a clinical record: replacing it is allowed.
            cursor.execute(
                "DELETE FROM analyses WHERE image_id = ? AND engine_version = ?",
                [image_id, engine_version],
            )
            created_at = utc_now()
            cursor.execute(
                "INSERT INTO analyses (image_id, engine_version, payload_sha256, store_path, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    image_id,
                    engine_version,
                    digest,
                    stored.relative,
                    size,
                    created_at.replace(tzinfo=None),
                ],
            )
            self._append_audit(
                cursor,
                actor=actor,
                action="analysis.put",
                entity_type="analysis",
                entity_id=f"{image_id}@{engine_version}",
                payload=analysis_payload(
                    image_id, engine_version, digest, stored.relative, size
                ),
            )

    def find_analysis(self, image_sha256: str, engine_version: str) -> bytes | None:
        """Return the cached analysis payload, or None when none is stored (or its file is gone)."""
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT store_path, payload_sha256 FROM analyses WHERE image_id = ? AND engine_version = ?",
                [image_sha256, engine_version],
            ).fetchone()
        if row is None:
            return None
        try:
            data = self.content.read_bytes(row[0])
        except StoreCorrupted:
            logger.warning(
                "cached analysis of image %s is missing from the store",
                image_sha256[:12],
            )
            return None
        if hashlib.sha256(data).hexdigest() != row[1]:
            logger.warning(
                "cached analysis of image %s does not match its hash; ignoring it",
                image_sha256[:12],
            )
            return None
        return data

    # ------------------------------------------------------------------ audit-only events

    def record_export(
        self,
        *,
        actor: str,
        kind: str,
        entity_type: str,
        entity_id: str,
        detail: Mapping[str, Any],
    ) -> AuditRecord:
        """Audit an export (bundle, DICOM SR, teaching file) of a case or conversation."""
        body = {
            "kind": kind,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "detail": json_object(detail, "detail"),
        }
        with self._transaction() as cursor:
            return self._append_audit(
                cursor,
                actor=actor,
                action=f"export.{kind}",
                entity_type="export",
                entity_id=f"{entity_type}:{entity_id}",
                payload=body,
            )

    def record_settings_change(
        self, *, actor: str, key: str, old: Any, new: Any
    ) -> AuditRecord:
        """Audit a change of an application setting."""
        body = json_object({"key": key, "old": old, "new": new}, "setting")
        with self._transaction() as cursor:
            return self._append_audit(
                cursor,
                actor=actor,
                action="settings.change",
                entity_type="settings",
                entity_id=key,
                payload=body,
            )

    def record_event(
        self,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        detail: Mapping[str, Any],
    ) -> AuditRecord:
        """Audit an event that changes no audited table (a backup, a restore)."""
        body = json_object(detail, "detail")
        with self._transaction() as cursor:
            return self._append_audit(
                cursor,
                actor=actor,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                payload=body,
            )

    @contextmanager
    def quiesced(
        self,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        detail: Mapping[str, Any],
    ) -> Iterator[AuditRecord]:
        """Audit an event, write everything into the database file and hold off writers.

        While the block runs no write can start, and the database file holds every
        committed write (``CHECKPOINT``), so the database file and the store folder can
        be copied as one consistent snapshot (``cases.backup``).
        """
        with self._lock, self.held():
            record = self.record_event(
                actor=actor,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                detail=detail,
            )
            with self._cursor() as cursor:
                cursor.execute("CHECKPOINT")
            yield record

    def list_audit(
        self, *, after_seq: int = 0, limit: int = 1000
    ) -> tuple[AuditRecord, ...]:
        """Return audit records after ``after_seq``, oldest first."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"SELECT {columns_sql(AuditRecord)} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                [after_seq, limit],
            ).fetchall()
        return tuple(AuditRecord.from_row(r) for r in rows)

    def search_audit(
        self,
        *,
        limit: int = 50,
        actor: str | None = None,
        action: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
    ) -> tuple[AuditRecord, ...]:
        """Return the newest ``limit`` matching audit records, oldest first.

        ``action`` matches an action or its prefix (``turn`` matches ``turn.append``);
        the other filters match exactly.
        """
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT {columns_sql(AuditRecord)} FROM audit_log
                    WHERE (?::VARCHAR IS NULL OR actor = ?)
                      AND (?::VARCHAR IS NULL OR starts_with(action, ?))
                      AND (?::VARCHAR IS NULL OR entity_type = ?)
                      AND (?::VARCHAR IS NULL OR entity_id = ?)
                    ORDER BY seq DESC LIMIT ?""",
                [
                    actor,
                    actor,
                    action,
                    action,
                    entity_type,
                    entity_type,
                    entity_id,
                    entity_id,
                    max(0, limit),
                ],
            ).fetchall()
        return tuple(AuditRecord.from_row(r) for r in reversed(rows))

    def has_audit_hash(self, digest: str) -> bool:
        """Whether some audit record has this hash (a head hash published earlier)."""
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT count(*) FROM audit_log WHERE hash = ?",
                [digest.strip().lower()],
            ).fetchone()
        return bool(row and row[0])

    def conversation_audit(self, conversation_id: int) -> tuple[AuditRecord, ...]:
        """Return the audit records of one conversation, oldest first.

        Its start, its turns (with their anchors, measurements and sign matches), the
        annotations linked to it and its exports.
        """
        with self._cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT {columns_sql(AuditRecord)} FROM audit_log
                    WHERE (entity_type = 'conversation' AND entity_id = ?)
                       OR (entity_type = 'turn' AND starts_with(entity_id, ?))
                       OR (entity_type = 'export' AND entity_id = ?)
                       OR (entity_type = 'annotation'
                           AND payload->>'$.conversation_id' = ?)
                    ORDER BY seq""",
                [
                    str(conversation_id),
                    f"{conversation_id}/",
                    f"conversation:{conversation_id}",
                    str(conversation_id),
                ],
            ).fetchall()
        return tuple(AuditRecord.from_row(r) for r in rows)

    def zero_based_audit_until(self) -> int:
        """Return the last audit record whose payload counts turns from 0 (0 if none).

        Records up to it were written before migration 0005; show their payloads with
        ``verification.renumber_turns(entity_type, payload, +1)``.
        """
        with self._cursor() as cursor:
            return verification.zero_based_until(cursor)

    def verify_audit(self) -> AuditReport:
        """Walk the audit chain and re-hash every entity it covers.

        Reports every problem found (``problems``; ``problem`` is the first): a
        missing, reordered or edited audit record, an entity that changed or
        disappeared since it was recorded, or an entity row that no audit record
        covers (inserted behind the casebook's back).
        """
        unreadable: list[AuditProblem] = []
        with self._cursor() as cursor:
            records = verification.fetch_records(cursor, AuditRecord, "seq", unreadable)
            current = verification.current_payloads(cursor, self.content)
        head = records[-1] if records else None
        chain_problem = audit.check_chain(records)
        problems = (
            *unreadable,
            *((chain_problem,) if chain_problem else ()),
            *verification.entity_problems(records, current),
        )
        return AuditReport(
            ok=not problems,
            records_checked=len(records),
            entities_checked=sum(len(v) for v in current.values()),
            head_seq=head.seq if head else None,
            head_hash=head.hash if head else None,
            problem=problems[0] if problems else None,
            problems=problems,
        )

    def orphan_files(
        self, *, grace_s: float = verification.ORPHAN_GRACE_S
    ) -> list[str]:
        """Return the store files no row references (see ``verification.orphan_files``)."""
        with self._lock, self._cursor() as cursor:
            return verification.orphan_files(cursor, self.content, grace_s=grace_s)

    def remove_orphan_files(self) -> list[str]:
        """Remove the store files no row references; return what was removed.

        Holds the write lock, so no import of this process is between writing its files
        and committing its rows; files younger than ``ORPHAN_GRACE_S`` are kept for an
        import in another process.

        Raises:
            StoreUnwritable: a file cannot be removed.
        """
        with self._lock:
            orphans = self.orphan_files()
            for relative in orphans:
                self.content.remove(relative)
        if orphans:
            logger.info("removed %d orphan store files", len(orphans))
        return orphans

    def rebuild_case_summaries(self) -> None:
        """Recompute the per-case counts of the case list from the base tables.

        The writes keep them current; rebuild after loading rows by other means (a bulk
        load, a restore from an older backup).
        """
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM case_summaries")
            cursor.execute(case_list.REBUILD_SUMMARIES_SQL)

    # ------------------------------------------------------------------ stats

    def stats(self) -> StoreStats:
        """Return record counts and the sizes of the database file and the store."""
        counts = {}
        with self._cursor() as cursor:
            for table in (
                "cases",
                "images",
                "conversations",
                "turns",
                "anchors",
                "annotations",
                "audit_log",
            ):
                row = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()
                counts[table] = int(row[0]) if row else 0
        db_bytes = 0
        if self.db_path is not None:
            db_bytes = sum(
                p.stat().st_size
                for p in (
                    self.db_path,
                    self.db_path.with_name(self.db_path.name + ".wal"),
                )
                if p.exists()
            )
        return StoreStats(
            cases=counts["cases"],
            images=counts["images"],
            conversations=counts["conversations"],
            turns=counts["turns"],
            anchors=counts["anchors"],
            annotations=counts["annotations"],
            audit_records=counts["audit_log"],
            database_bytes=db_bytes,
            store_bytes=self.content.size_bytes(),
        )

    # ------------------------------------------------------------------ worklist (0006)

    def set_case_labels(
        self,
        case_id: str,
        *,
        title: str | None,
        tags: Sequence[str],
        review_status: worklist.ReviewStatus,
        actor: str,
    ) -> worklist.CaseLabels:
        """Set a case's title, tags and review status (a reviewer's edit, audited).

        Raises:
            RecordNotFound: there is no such case.
            InvalidRecord: the title or a tag is too long, or there are too many tags.
        """
        self.get_case(case_id)
        labels = worklist.CaseLabels(
            case_id=case_id,
            title=worklist.clean_title(title),
            tags=worklist.clean_tags(tags),
            review_status=worklist.ReviewStatus(review_status),
            updated_by=actor,
            updated_at=utc_now(),
        )
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM case_labels WHERE case_id = ?", [case_id])
            cursor.execute(
                "INSERT INTO case_labels VALUES (?, ?, ?, ?, ?, ?)",
                [
                    case_id,
                    labels.title,
                    list(labels.tags),
                    labels.review_status.value,
                    actor,
                    labels.updated_at.replace(tzinfo=None),
                ],
            )
            self._append_audit(
                cursor,
                actor=actor,
                action="case.labels",
                entity_type="case_labels",
                entity_id=case_id,
                payload=labels.to_payload(),
            )
        return labels

    def find_case_labels(self, case_id: str) -> worklist.CaseLabels | None:
        """Return a case's title, tags and review status, or None when none were set."""
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT case_id, title, tags, review_status, updated_by, updated_at "
                "FROM case_labels WHERE case_id = ?",
                [case_id],
            ).fetchone()
        if row is None:
            return None
        return worklist.CaseLabels(
            case_id=row[0],
            title=row[1],
            tags=tuple(row[2]),
            review_status=worklist.ReviewStatus(row[3]),
            updated_by=row[4],
            updated_at=row[5].replace(tzinfo=UTC),
        )

    def record_source_name(self, image_id: str, file_name: str, *, actor: str) -> None:
        """Keep the base name of the file an image came from (the first name seen wins)."""
        name = worklist.base_name(file_name)
        image = self.get_image(image_id)
        if not name:
            return
        with self._transaction() as cursor:
            exists = cursor.execute(
                "SELECT 1 FROM image_sources WHERE image_id = ?", [image_id]
            ).fetchone()
            if exists:
                return
            now = utc_now()
            cursor.execute(
                "INSERT INTO image_sources VALUES (?, ?, ?, ?)",
                [image_id, image.case_id, name, now.replace(tzinfo=None)],
            )
            self._append_audit(
                cursor,
                actor=actor,
                action="image.source_name",
                entity_type="image_source",
                entity_id=image_id,
                payload={"image_id": image_id, "file_name": name},
            )

    def mark_conversation(
        self,
        conversation_id: int,
        mark: worklist.ConversationMark | None,
        *,
        actor: str,
    ) -> None:
        """Mark a conversation as kept for teaching or QA (read-only), or clear the mark.

        Raises:
            RecordNotFound: there is no such conversation.
        """
        self.get_conversation(conversation_id)
        with self._transaction() as cursor:
            cursor.execute(
                "DELETE FROM conversation_marks WHERE conversation_id = ?",
                [conversation_id],
            )
            if mark is not None:
                cursor.execute(
                    "INSERT INTO conversation_marks VALUES (?, ?, ?, ?)",
                    [
                        conversation_id,
                        mark.value,
                        actor,
                        utc_now().replace(tzinfo=None),
                    ],
                )
            self._append_audit(
                cursor,
                actor=actor,
                action="conversation.mark",
                entity_type="conversation_mark",
                entity_id=str(conversation_id),
                payload={
                    "conversation_id": conversation_id,
                    "mark": None if mark is None else mark.value,
                },
            )

    def find_conversation_mark(
        self, conversation_id: int
    ) -> worklist.ConversationMark | None:
        """Return the conversation's teaching or QA mark, or None."""
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT mark FROM conversation_marks WHERE conversation_id = ?",
                [conversation_id],
            ).fetchone()
        return None if row is None else worklist.ConversationMark(row[0])

    def list_worklist(self, query: worklist.WorklistQuery) -> worklist.WorklistPage:
        """Return one page of the worklist: the case list's rows with labels and details."""
        page = query.cases
        with self._cursor() as cursor:
            rows, total = case_list.page_rows(cursor, page, worklist.extra_where(query))
            summaries = [_summary_from_row(r) for r in rows]
            details = (
                {
                    r[0]: r
                    for r in cursor.execute(
                        *worklist.details_sql([s.case_id for s in summaries])
                    ).fetchall()
                }
                if summaries
                else {}
            )
        items = tuple(
            _worklist_item(summary, details[summary.case_id]) for summary in summaries
        )
        return worklist.WorklistPage(
            items=items, total=total, page=page.page, page_size=page.page_size
        )

    def thumbnail_png(self, image: Image, size: int = 96) -> bytes:
        """A small PNG of an image's display pixels, made once and kept in the store.

        Named by the image id (the pixels' sha256) and size, so it is content-addressed
        and holds nothing but the de-identified pixels.
        """
        relative = f"thumbnails/{image.image_id[:2]}/{image.image_id}-{size}.png"
        path = self.content.root / relative
        if path.is_file():
            return path.read_bytes()
        data = thumbnail_bytes(self.load_display(image), size)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{threading.get_ident()}.part")
        partial.write_bytes(data)
        partial.replace(path)
        return data


# ---------------------------------------------------------------------- helpers


def _summary_from_row(r: Sequence[Any]) -> CaseSummary:
    return CaseSummary(
        case_id=CaseId(r[0]),
        created_at=r[1].replace(tzinfo=UTC),
        image_count=r[2],
        modality=r[3],
        view_position=r[4],
        calibration_source=None if r[5] is None else CalibrationSource(r[5]),
        warning_count=int(r[6]),
        conversation_count=r[7],
        turn_count=int(r[8]),
        last_turn_at=None if r[9] is None else r[9].replace(tzinfo=UTC),
    )


def _worklist_item(summary: CaseSummary, row: Sequence[Any]) -> worklist.WorklistItem:
    issues = json.loads(row[6]) if row[6] else []
    return worklist.WorklistItem(
        summary=summary,
        title=row[1],
        tags=tuple(row[2]),
        review_status=worklist.ReviewStatus(row[3]),
        image_id=row[4],
        file_name=row[5],
        leading_finding=row[7],
        leading_confidence=row[8],
        warnings=tuple(
            str(i.get("message", ""))
            for i in issues
            if isinstance(i, dict) and i.get("severity") == "warning"
        ),
    )


def thumbnail_bytes(display: npt.NDArray[np.float32], size: int) -> bytes:
    """Encode display values in [0, 1] as a PNG whose long side is ``size`` pixels."""
    from PIL import Image as PILImage

    picture = PILImage.fromarray(
        np.round(np.clip(display, 0.0, 1.0) * 255).astype(np.uint8), mode="L"
    )
    picture.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    buffer = BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


_SEQUENCES = {"case_number_seq", "conversation_id_seq", "annotation_id_seq"}


def _next_value(cursor: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """Return the next number of one of the schema's sequences."""
    if sequence not in _SEQUENCES:
        raise ValueError(f"unknown sequence {sequence!r}")
    row = cursor.execute(f"SELECT nextval('{sequence}')").fetchone()
    if row is None:
        raise RuntimeError(f"sequence {sequence} returned no value")
    return int(row[0])


def _image_from_decoded(
    decoded: DecodedImage,
    case_id: CaseId,
    store_path: str,
    header_path: str | None,
    actor: str,
    now: Any,
) -> Image:
    return Image(
        image_id=decoded.image_id,
        case_id=case_id,
        source_format=decoded.source_format,
        store_path=store_path,
        header_path=header_path,
        rows=decoded.rows,
        columns=decoded.columns,
        dtype=decoded.pixels.dtype.str,
        calibration=decoded.calibration,
        display=decoded.display,
        modality=decoded.modality,
        sop_class_uid=decoded.sop_class_uid,
        study_uid=decoded.study_uid,
        series_uid=decoded.series_uid,
        sop_instance_uid=decoded.sop_instance_uid,
        transfer_syntax_uid=decoded.transfer_syntax_uid,
        lossy_compression=decoded.lossy_compression,
        view_position=decoded.view_position,
        body_part=decoded.body_part,
        burned_in_annotation=decoded.burned_in_annotation,
        deid_method=decoded.deid_method,
        issues=decoded.issues,
        imported_at=now,
        imported_by=actor,
    )
