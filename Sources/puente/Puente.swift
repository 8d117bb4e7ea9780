import ArgumentParser

/// The `puente` command: a thin shell over `PuenteExchange`.
@main
struct Puente: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "puente",
        abstract: "Moves business data between the back office and the web shop(s) through files.",
        discussion: """
            Exit statuses: 0 done; 65 done, but something needs a person (a row, order or file \
            could not be used); 64 usage error; 74 I/O error; 75 another run holds the lock; \
            78 configuration error.
            """,
        version: "0.1.0",
        subcommands: [Demo.self, Masters.self, Import.self, Export.self, Orders.self, Report.self, Mail.self, Run.self, Status.self]
    )

    /// Global options may come before the subcommand (`puente --json masters load ...`): the
    /// argument parser only knows them on the leaf commands, so move them there.
    static func main() {
        main(GlobalOptions.movingLeadingGlobals(Array(CommandLine.arguments.dropFirst())))
    }
}
