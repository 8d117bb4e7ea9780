import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Orders: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A person's work on posted orders: look at them, move them along, release or reject held ones.",
            discussion: """
                Statuses: held, pending, in_preparation, dispatched, invoiced, cancelled. Allowed: \
                held→pending|cancelled, pending→in_preparation|cancelled, \
                in_preparation→dispatched|cancelled, dispatched→invoiced. A change that is not \
                allowed changes nothing, says what is allowed, and exits 65. Every change is \
                time-stamped, names who made it, and goes to the site in the next package.
                """,
            subcommands: [List.self, Show.self, SetStatus.self, Release.self, Reject.self])
    }
}

extension OrderNumber: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension OrderStatus: ExpressibleByArgument {}

/// The pieces every `orders` subcommand shares.
enum OrderDeskCommand {
    /// Who is at the desk: the login name (`person:NAME` in the history).
    static var person: String {
        let environment = ProcessInfo.processInfo.environment
        if let name = environment["USER"] ?? environment["LOGNAME"], !name.isEmpty { return name }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }

    static func desk(_ context: CommandContext, access: PuenteSession.Access) throws -> (PuenteSession, OrderDesk) {
        let session = try context.session(access)
        return (session, session.orderDesk(person: person))
    }

    /// A refusal: said on stderr, exit 65, nothing changed.
    static func refused(_ refusal: StatusChangeRefusal) -> ExitCode {
        FileHandle.standardError.write(Data("puente: \(SafeText.forTerminal(refusal.description))\n".utf8))
        return Failure.needsAttention
    }

    static func money(_ value: Money) -> String { value.formatted(minimumFractionDigits: 2) }
}

extension Puente.Orders {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Posted orders, by number.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Only orders with this status.") var status: OrderStatus?
        @Option(help: "Only this client's orders.") var client: String?
        @Option(help: "Only orders this seller placed.") var seller: String?

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session(.read)
            // The orders report's table (or its JSON with --json), streamed.
            let query = OrderQuery(status: status, client: client, seller: seller)
            try Failure.guarding {
                let output = ReportOutput()
                try session.reports().orders(query, format: global.json ? .json : .table, to: output)
                try output.finish()
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One order whole: header, lines with list prices, source file and line, history, and why it was held.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The order number, like 9900-00000001.") var number: OrderNumber

        func run() throws {
            let context = try global.makeContext()
            let (_, desk) = try OrderDeskCommand.desk(context, access: .read)
            guard let order = try Failure.guarding({ try desk.show(number) }) else {
                throw OrderDeskCommand.refused(.unknownOrder(number))
            }
            context.say(OrderText.text(order))
            try context.printJSON(OrderText.JSON(order))
        }
    }

    struct SetStatus: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status", abstract: "Move an order to another status the lifecycle allows.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The order number, like 9900-00000001.") var number: OrderNumber
        @Argument(help: "pending, in_preparation, dispatched, invoiced or cancelled.") var status: OrderStatus
        @Option(help: "A note kept in the order's history.") var note: String = ""

        func run() throws {
            let context = try global.makeContext()
            let (session, desk) = try OrderDeskCommand.desk(context, access: .write)
            switch try Failure.guarding({ try desk.setStatus(number, to: status, note: note) }) {
            case .success(let was):
                context.say("\(number): \(was.rawValue) → \(status.rawValue)")
                _ = try MailStep.run(session, context)
                try context.printJSON(["number": number.description, "from": was.rawValue, "to": status.rawValue])
            case .failure(let refusal):
                throw OrderDeskCommand.refused(refusal)
            }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a held order pending.",
            discussion: "With --reprice, lines whose price is not the client's list price now take it; the total is recomputed and the history says what changed.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The order number, like 9900-00000001.") var number: OrderNumber
        @Flag(help: "Take the client's list prices now for the lines that differ.") var reprice = false

        func run() throws {
            let context = try global.makeContext()
            let (session, desk) = try OrderDeskCommand.desk(context, access: .write)
            switch try Failure.guarding({ try desk.release(number, reprice: reprice) }) {
            case .success(let release):
                var lines = ["\(number): held → pending"]
                for line in release.repriced {
                    lines.append("  line \(line.item) \(line.product): \(OrderDeskCommand.money(line.was)) → \(OrderDeskCommand.money(line.now))")
                }
                if release.totalAfter != release.totalBefore {
                    lines.append("  total \(OrderDeskCommand.money(release.totalBefore)) → \(OrderDeskCommand.money(release.totalAfter))")
                }
                context.say(lines.map(SafeText.forTerminal).joined(separator: "\n"))
                _ = try MailStep.run(session, context)
                try context.printJSON(ReleaseJSON(number: number.description, repriced: release.repriced.map {
                    .init(item: $0.item, product: $0.product, was: OrderDeskCommand.money($0.was), now: OrderDeskCommand.money($0.now))
                }, totalBefore: OrderDeskCommand.money(release.totalBefore), totalAfter: OrderDeskCommand.money(release.totalAfter)))
            case .failure(let refusal):
                throw OrderDeskCommand.refused(refusal)
            }
        }

        struct ReleaseJSON: Encodable {
            struct Line: Encodable {
                let item: Int
                let product: String
                let was: String
                let now: String
            }

            let number: String
            let repriced: [Line]
            let totalBefore: String
            let totalAfter: String
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a held order.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The order number, like 9900-00000001.") var number: OrderNumber
        @Option(help: "Why, kept in the order's history.") var reason: String = ""

        func run() throws {
            let context = try global.makeContext()
            let (_, desk) = try OrderDeskCommand.desk(context, access: .write)
            switch try Failure.guarding({ try desk.reject(number, reason: reason) }) {
            case .success:
                context.say("\(number): held → cancelled")
                try context.printJSON(["number": number.description, "from": "held", "to": "cancelled"])
            case .failure(let refusal):
                throw OrderDeskCommand.refused(refusal)
            }
        }
    }
}

/// One order for a person, and as JSON.
enum OrderText {
    static func text(_ order: OrderDetail) -> String {
        var lines = [
            "\(order.number)  \(order.status.rawValue)  order \(order.webID)  \(order.date)",
            "client \(order.client) \(order.clientName)" + (order.priceList.map { "  (list \($0))" } ?? "")
                + (order.seller.map { "  seller \($0)" } ?? ""),
            "from \(order.sourceFile) line \(order.sourceLine), posted \(order.created)",
        ]
        if !order.note.isEmpty { lines.append("note: \(order.note)") }
        lines.append("")
        let rows = order.lines.map { line in
            [String(line.item), line.product, line.description, line.quantity.description,
             OrderDeskCommand.money(line.price), line.listPrice.map(OrderDeskCommand.money) ?? "-",
             OrderDeskCommand.money(line.amount), "line \(line.sourceLine)"]
        }
        let header = ["#", "product", "description", "quantity", "price", "list price", "amount", "in file"]
        lines += TextTable.lines(header: header, rows: rows, rightAligned: [0, 3, 4, 5, 6])
        lines.append("total \(OrderDeskCommand.money(order.total))")
        if !order.reasons.isEmpty {
            lines.append("")
            lines.append(order.status == .held ? "held because:" : "was held because:")
            for reason in order.reasons { lines.append("  line \(reason.line): \(reason.summary)") }
        }
        lines.append("")
        lines.append("history:")
        for change in order.history {
            let note = change.note.isEmpty ? "" : " — \(change.note)"
            lines.append("  \(change.changed)  \(change.from?.rawValue ?? "-") → \(change.to.rawValue)  by \(change.source)\(note)")
        }
        return lines.map(SafeText.forTerminal).joined(separator: "\n")
    }

    struct JSON: Encodable {
        struct Line: Encodable {
            let item: Int
            let product: String
            let description: String
            let quantity: String
            let price: String
            let listPrice: String?
            let amount: String
            let sourceLine: Int
        }

        struct Change: Encodable {
            let from: String?
            let to: String
            let changed: String
            let source: String
            let note: String
        }

        let number: String
        let order: String
        let pos: Int
        let status: String
        let date: String
        let client: String
        let clientName: String
        let seller: String?
        let note: String
        let total: String
        let sourceFile: String
        let sourceLine: Int
        let lines: [Line]
        let history: [Change]
        let reasons: [OrderReason]

        init(_ order: OrderDetail) {
            number = order.number.description
            self.order = order.webID
            pos = order.number.pos
            status = order.status.rawValue
            date = order.date
            client = order.client
            clientName = order.clientName
            seller = order.seller
            note = order.note
            total = OrderDeskCommand.money(order.total)
            sourceFile = order.sourceFile
            sourceLine = order.sourceLine
            lines = order.lines.map {
                Line(item: $0.item, product: $0.product, description: $0.description, quantity: $0.quantity.description,
                     price: OrderDeskCommand.money($0.price), listPrice: $0.listPrice.map(OrderDeskCommand.money),
                     amount: OrderDeskCommand.money($0.amount), sourceLine: $0.sourceLine)
            }
            history = order.history.map {
                Change(from: $0.from?.rawValue, to: $0.to.rawValue, changed: $0.changed, source: $0.source, note: $0.note)
            }
            reasons = order.reasons
        }
    }
}
