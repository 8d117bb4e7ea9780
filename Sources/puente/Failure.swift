import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange
import PuenteFormats
import PuenteSecurity

/// Turns library errors into a message on stderr and the contract's exit status.
enum Failure {
    static let needsAttention = ExitCode(65)
    static let usage = ExitCode(64)
    static let io = ExitCode(74)
    static let locked = ExitCode(75)
    static let configuration = ExitCode(78)

    /// Runs `body`; a known error is reported and becomes its exit status.
    static func guarding<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            let (message, code) = describe(error)
            FileHandle.standardError.write(Data("puente: \(SafeText.forTerminal(message))\n".utf8))
            throw code
        }
    }

    /// Says `message` on stderr and gives the usage exit status (64).
    static func usage(message: String) -> ExitCode {
        FileHandle.standardError.write(Data("puente: \(SafeText.forTerminal(message))\n".utf8))
        return usage
    }

    static func describe(_ error: any Error) -> (String, ExitCode) {
        switch error {
        case let error as PuenteError: (error.code == .configuration ? "configuration error: \(error)" : error.description,
                                        status(of: error.code))
        case let error as UntrustedFileError: (error.description, io)
        case let error as ImportInterrupted: describe(error.error)
        case let error as PasswordHashError: (error.description, io)
        case let error as CocoaError:
            // Foundation's file errors, as a sentence: what, where, why (never an NSError dump).
            ("could not use \(error.filePath ?? error.url?.path ?? "a file"): "
                + (((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription), io)
        default: ("\(error)", io)
        }
    }

    /// The contract's exit status for each kind of failure.
    static func status(of code: PuenteError.Code) -> ExitCode {
        switch code {
        case .usage: usage
        case .invalidInput: needsAttention
        case .busy: locked
        case .configuration: configuration
        default: io  // .io, .store
        }
    }
}
