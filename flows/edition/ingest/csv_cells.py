"""CSV reader: UTF-8 (BOM allowed) or Windows-1252, `;` or `,` separated, LF or CRLF → a table of text cells.

The aggregated tables, the missions reference and the ledger's nomenclature all go through here, so
a file is decoded, split and located in messages by one rule.
"""

from __future__ import annotations

import csv
import io

from flows.edition.contract import RawTable
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.files import InputFile, Notice, decode_utf8, line_of

NOT_UTF8 = (
    "un fichier encodé en UTF-8 (ré-exporter en « CSV UTF-8 » ; ce fichier semble être en Latin-1 / Windows-1252)"
)
BOM = b"\xef\xbb\xbf"
UTF8, CP1252 = "UTF-8", "Windows-1252"
NOT_TEXT = "un fichier encodé en UTF-8 ou en Windows-1252 (ré-exporter en « CSV UTF-8 »)"
BOM_NOT_UTF8 = "un fichier encodé en UTF-8, comme l'annonce sa marque d'ordre des octets (BOM)"


def separator(first_line: str) -> str:
    """The field separator of a CSV file: `;` (French Excel) when its first line has more `;` than `,`."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_csv_cells(file: InputFile, name: str) -> RawTable:
    """A CSV file as text cells, each row with the file line it starts on."""
    source = file.source
    text, _ = decode_csv(file.data, source)
    if "\x00" in text:
        raise InputError(Problem(source, "un fichier texte CSV (il contient des octets nuls)"))
    if not text.strip():
        raise InputError(Problem(source, "un en-tête de colonnes puis des lignes de données (le fichier est vide)", 1))
    delimiter = separator(text.lstrip("\r\n").splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = 1  # file line where the next row starts (a quoted value may span lines)
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header, header_line = row, line
                continue
            if len(row) > len(header):
                problems.append(
                    Problem(
                        source,
                        f"{len(header)} colonnes comme l'en-tête (trouvé : {len(row)} ; "
                        f"séparateur « {delimiter} » dans une valeur non protégée par des guillemets ?)",
                        line,
                        value=delimiter.join(row),
                    )
                )
                continue
            rows.append(row + [""] * (len(header) - len(row)))
            lines.append(line)
    except csv.Error as exc:
        raise InputError(_malformed(exc, text, source, delimiter, start, reader.line_num)) from None
    if problems:
        raise InputError(problems)
    return RawTable(name, source, header or [], rows, lines, header_line)


def decode_csv(data: bytes, source: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in: UTF-8 when it is (a BOM allowed), else
    Windows-1252 — what French Excel's default "CSV (séparateur : point-virgule)" writes — when every
    byte is one. Otherwise an InputError naming the line of the first byte neither encoding has. A file
    that starts with a UTF-8 BOM claims UTF-8 and gets no fallback."""
    if data.startswith(BOM):
        return decode_utf8(data, source, BOM_NOT_UTF8), UTF8
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), CP1252
    except UnicodeDecodeError as exc:
        value = f"octet 0x{data[exc.start]:02X}"
        raise InputError(Problem(source, NOT_TEXT, line_of(data, exc.start), value=value)) from None


def encoding_notice(file: InputFile) -> Notice | None:
    """The warning that a CSV file was read as Windows-1252, for the report (None for UTF-8)."""
    if not file.source.lower().endswith(".csv") or decode_csv(file.data, file.source)[1] != CP1252:
        return None
    name = file.source.rpartition("/")[2]
    return Notice(
        "warning",
        file.source,
        f"{name} est encodé en Windows-1252 (pas en UTF-8) : lu en Windows-1252 ; vérifier ses accents, "
        "ou l'enregistrer en « CSV UTF-8 » pour ne plus voir cet avertissement",
    )


def _malformed(exc: csv.Error, text: str, source: str, delimiter: str, start: int, line_num: int) -> Problem:
    message = str(exc)
    at = start if "end of data" in message else line_num
    if "end of data" in message:  # a quote never closed: the value would run to the end of the file
        expected = 'un guillemet « " » fermant la valeur ouverte sur cette ligne'
    elif "expected after" in message:  # `"a"b`: text after a closing quote
        expected = f"un guillemet fermant suivi du séparateur « {delimiter} » ou de la fin de ligne"
    else:
        expected = f"un CSV bien formé ({message})"
    file_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Problem(source, expected, at, value=file_lines[at - 1][:200])


def as_csv(raw: RawTable) -> bytes:
    """A table of text cells written as `;`-separated UTF-8 CSV (a workbook sheet, for the archival copy)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(raw.header)
    writer.writerows(raw.rows)
    return buffer.getvalue().encode("utf-8")
