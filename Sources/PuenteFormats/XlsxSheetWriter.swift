import CXlsxWriter
import Foundation
import PuenteDomain

/// A workbook of one sheet for people, written by libxlsxwriter in constant memory (each row
/// goes to a temporary file in `temporaryFolder` as it is written; the workbook is assembled
/// at `finish()`): a bold header row, frozen, with an autofilter over the data; numbers as
/// numeric cells with the format `#,##0.00`, days as date cells, text as text; each column as
/// wide as its widest cell (this libxlsxwriter has no autofit, so the widths are counted here).
public final class XlsxSheetWriter {
    public enum Cell {
        case text(String)
        /// Shown with two decimals (`#,##0.00`); the cell holds the number.
        case money(Money)
        case integer(Int)
        /// A day, shown as `dateFormat` says.
        case day(year: Int, month: Int, day: Int)
        case empty
    }

    private let path: String
    private let workbook: UnsafeMutablePointer<lxw_workbook>
    private let sheet: UnsafeMutablePointer<lxw_worksheet>
    private let bold: UnsafeMutablePointer<lxw_format>
    private let money: UnsafeMutablePointer<lxw_format>
    private let date: UnsafeMutablePointer<lxw_format>
    private var widths: [Int]
    private var row: UInt32 = 1
    private var closed = false

    /// Starts the workbook at `path` (written whole at `finish()`), its sheet named `sheetName`;
    /// `dateFormat` like `dd/mm/yyyy`.
    public init(path: String, sheetName: String, header: [String], dateFormat: String, temporaryFolder: String) throws {
        self.path = path
        var options = lxw_workbook_options(constant_memory: 1, tmpdir: strdup(temporaryFolder), use_zip64: 0)
        defer { free(options.tmpdir) }
        guard let workbook = workbook_new_opt(path, &options) else {
            throw PuenteError(.io, "could not start the workbook \(path)", path: path)
        }
        self.workbook = workbook
        guard let sheet = workbook_add_worksheet(workbook, sheetName),
              let bold = workbook_add_format(workbook), let money = workbook_add_format(workbook),
              let date = workbook_add_format(workbook)
        else {
            _ = workbook_close(workbook)
            throw PuenteError(.io, "could not start the workbook \(path)", path: path)
        }
        self.sheet = sheet
        self.bold = bold
        self.money = money
        self.date = date
        format_set_bold(bold)
        format_set_num_format(money, "#,##0.00")
        format_set_num_format(date, dateFormat)
        widths = header.map { $0.count }
        for (column, name) in header.enumerated() {
            try check(worksheet_write_string(sheet, 0, lxw_col_t(column), name, bold))
        }
        worksheet_freeze_panes(sheet, 1, 0)
    }

    deinit {
        if !closed { _ = workbook_close(workbook) }
    }

    /// Appends one row.
    public func append(_ cells: [Cell]) throws {
        for (index, cell) in cells.enumerated() {
            let column = lxw_col_t(index)
            let shown: Int
            switch cell {
            case .text(let text):
                try check(worksheet_write_string(sheet, row, column, text, nil))
                shown = text.count
            case .money(let value):
                try check(worksheet_write_number(sheet, row, column, Double(value.units) / 10_000, money))
                // `#,##0.00`: the digits, their thousands separators and two decimals.
                let digits = String(value.units.magnitude / 10_000).count
                shown = digits + (digits - 1) / 3 + 3 + (value.units < 0 ? 1 : 0)
            case .integer(let value):
                try check(worksheet_write_number(sheet, row, column, Double(value), nil))
                shown = String(value).count
            case .day(let year, let month, let day):
                var datetime = lxw_datetime(year: Int32(year), month: Int32(month), day: Int32(day), hour: 0, min: 0, sec: 0)
                try check(worksheet_write_datetime(sheet, row, column, &datetime, date))
                shown = 10
            case .empty:
                shown = 0
            }
            if index < widths.count { widths[index] = max(widths[index], shown) }
        }
        row += 1
    }

    /// The autofilter over the rows written, the column widths, then the workbook assembled
    /// and closed at its path.
    public func finish() throws {
        let lastColumn = lxw_col_t(max(0, widths.count - 1))
        try check(worksheet_autofilter(sheet, 0, 0, max(0, row - 1), lastColumn))
        for (column, width) in widths.enumerated() {
            // Characters of the default font, plus room for the filter button; never absurd.
            try check(worksheet_set_column(sheet, lxw_col_t(column), lxw_col_t(column), Double(min(width + 3, 80)), nil))
        }
        closed = true
        try check(workbook_close(workbook))
    }

    private func check(_ result: lxw_error) throws {
        guard result == LXW_NO_ERROR else {
            throw PuenteError(.io, "could not write the workbook \(path): \(String(cString: lxw_strerror(result)))", path: path)
        }
    }
}
