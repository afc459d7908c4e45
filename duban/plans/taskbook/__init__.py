"""The one import/export machine for task books (任务分解表): Excel, CSV and JSON.

Every format goes through the same steps, so a rule is written once:

1. **read** the file into a :class:`Sheet` (a grid of cell values with merged cells
   expanded), after the file-level guards: size limit, password-protected workbooks, files
   that are not what their name says, zip bombs;
2. **map** the columns (:func:`propose_mapping`): find the header row(s) and which column
   is 工作任务, 牵头单位 … by the synonyms in :data:`COLUMNS`; the caller may override;
3. **dry run** (:func:`plan_import`): turn rows into framework headings and tasks, match
   unit names to the org (name, short name, aliases, then :func:`loose_name`), resolve
   deadlines with the plan year, and list every cell that cannot be placed with its row and
   column — nothing is written;
4. **commit** (:func:`commit_import`): one transaction, all rows or none, through the models
   (audited) and :func:`~duban.plans.services.assign_task`.

Export (:func:`export_xlsx`, :func:`export_csv`, :func:`export_json`) uses the same column
definitions, so what we write is exactly what we read back.

The steps live in one module each (common, reading, mapping, dryrun, commit, export,
job); this face keeps every name importable from ``duban.plans.taskbook``.
"""

from __future__ import annotations

import shutil  # noqa: F401 - tests replace shutil.which through this module

from duban.plans.taskbook.commit import (  # noqa: F401
    BULK_BATCH,
    commit_import,
)
from duban.plans.taskbook.common import (  # noqa: F401
    _BRACKETS,
    _CONTAINED_HEADERS,
    _EXACT_HEADERS,
    _HEADER_JUNK,
    COLUMN_BY_KEY,
    COLUMNS,
    HEADER_SCAN_ROWS,
    JSON_FORMAT,
    JSON_VERSION,
    MAX_COLUMNS,
    MAX_ROWS,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_RATIO,
    ZIP_MAX_TOTAL_FACTOR,
    ZIP_RATIO_MIN_SIZE,
    Column,
    ProgressCallback,
    RowIssue,
    TaskbookError,
    _column_index,
    _norm_header,
    _text,
    column_letter,
    match_header,
)
from duban.plans.taskbook.dryrun import (  # noqa: F401
    _CN_NUM,
    _CN_SEQ,
    _HEADING,
    _NOTE,
    ImportPreview,
    NodeDraft,
    TaskDraft,
    _Builder,
    _choose_sheet,
    _cn,
    _parse_heading,
    _plan_json,
    _Record,
    _sheet_records,
    _title_above,
    heading_text,
    plan_import,
)
from duban.plans.taskbook.export import (  # noqa: F401
    _csv_safe,
    _export_columns,
    _ExportRow,
    _plan_rows,
    _xlsx_text,
    export_csv,
    export_json,
    export_xlsx,
    task_items,
)
from duban.plans.taskbook.job import (  # noqa: F401
    JOB_MAX_ISSUES,
    import_taskbook_job,
)
from duban.plans.taskbook.mapping import (  # noqa: F401
    _ISO_DATE,
    _LEAD_MARK,
    _LEADER_TITLES,
    _LONG_TERM,
    _NUM_DATE,
    _OVERRIDE_HEADER_KEYS,
    _SERIAL,
    _SERIAL_RANGE,
    _UNIT_SEPARATORS,
    _YEAR_MONTH,
    _YEAR_ONLY,
    LeaderResolver,
    Mapping,
    UnitResolver,
    _assign_keys,
    _from_serial,
    _key_for,
    _row_header_matches,
    _sub_header,
    apply_overrides,
    propose_mapping,
    resolve_deadline,
    split_units,
)
from duban.plans.taskbook.reading import (  # noqa: F401
    _CFB_MAGIC,
    _CSV_GUARD,
    _FORMULA_TAG,
    Sheet,
    _check_zip,
    _convert_xls_with_office,
    _decode_csv,
    _has_formulas,
    _load,
    _max_bytes,
    _mb,
    _read_csv,
    _read_input,
    _read_xls,
    _read_xlsx,
    _sheet_from_worksheet,
    _sniff,
    check_sheet_rows,
    read_sheets,
    sheet_extent,
)

__all__ = [
    "COLUMNS",
    "Column",
    "ImportPreview",
    "Mapping",
    "NodeDraft",
    "RowIssue",
    "Sheet",
    "TaskDraft",
    "TaskbookError",
    "commit_import",
    "export_csv",
    "export_json",
    "export_xlsx",
    "plan_import",
    "propose_mapping",
    "read_sheets",
    "resolve_deadline",
    "split_units",
]
