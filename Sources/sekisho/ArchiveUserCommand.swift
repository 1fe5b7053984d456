import Archive
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sekisho archive user …`: the web UI's accounts in the archive database. Passwords come
/// from stdin (typed twice, without echo, on a terminal), never from the command line.
struct ArchiveUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the archive web UI's accounts (admins see everything, auditors their domains).",
        subcommands: [ArchiveUserAddCommand.self, ArchiveUserListCommand.self, ArchiveUserDisableCommand.self, ArchiveUserPasswordCommand.self]
    )
}

/// Which archive database.
struct ArchiveDatabaseOption: ParsableArguments {
    @Option(help: "The archive database (SQLite), as the archive: section's database names it.")
    var database: String

    func open() throws -> ArchiveAccounts {
        guard FileManager.default.fileExists(atPath: database) else {
            throw ValidationError("no archive database at \(database) (has sekishod archived anything with this policy?)")
        }
        return try ArchiveAccounts(database: try ArchiveDatabase(path: database, create: false))
    }

    /// The new password: on a terminal typed twice without echo; otherwise the first line of stdin.
    static func readPassword() throws -> String {
        if isatty(STDIN_FILENO) == 1 {
            let first = try promptHidden("Password: ")
            let second = try promptHidden("Again: ")
            guard first == second else { throw ValidationError("the passwords differ") }
            guard !first.isEmpty else { throw ValidationError("the password is empty") }
            return first
        }
        let bytes = try ZipCommand.readPassword(from: "-")
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ValidationError("the password is not UTF-8") }
        return text
    }

    private static func promptHidden(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password given") }
        return line
    }
}

struct ArchiveUserAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an account; the password is read from stdin.")

    @OptionGroup var options: ArchiveDatabaseOption

    @Argument(help: "The account name (letters, digits, . _ @ -).")
    var name: String

    @Option(help: "admin (every message, holds, audit log) or auditor (the --domain messages only).")
    var role: ArchiveRole

    @Option(name: .customLong("domain"), help: "A domain an auditor may see (repeat for more; subdomains included).")
    var domains: [String] = []

    func validate() throws {
        if role == .auditor && domains.isEmpty { throw ValidationError("an auditor needs at least one --domain") }
        if role == .admin && !domains.isEmpty { throw ValidationError("an admin sees every domain: leave out --domain") }
    }

    func run() async throws {
        let accounts = try options.open()
        let password = try ArchiveDatabaseOption.readPassword()
        do {
            let account = try await accounts.create(name: name, password: password, role: role, domains: domains)
            print("added \(account.name) (\(account.role.rawValue)\(account.domains.isEmpty ? "" : ": " + account.domains.joined(separator: ", ")))")
        } catch let error as ArchiveAccountError {
            throw ValidationError("\(error)")
        }
    }
}

struct ArchiveUserListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The accounts: name, role, domains, state.")

    @OptionGroup var options: ArchiveDatabaseOption

    func run() async throws {
        let formatter = ISO8601DateFormatter()
        for account in try await options.open().list() {
            print("\(account.name)\t\(account.role.rawValue)\t\(account.domains.isEmpty ? "*" : account.domains.joined(separator: ","))\t\(account.disabled ? "disabled" : "enabled")\t\(formatter.string(from: account.createdAt))")
        }
    }
}

struct ArchiveUserDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an account and end its sessions (--enable undoes it).")

    @OptionGroup var options: ArchiveDatabaseOption

    @Argument(help: "The account name.")
    var name: String

    @Flag(help: "Enable the account again instead.")
    var enable = false

    func run() async throws {
        do {
            try await options.open().setDisabled(name, !enable)
            print("\(name) \(enable ? "enabled" : "disabled")")
        } catch let error as ArchiveAccountError {
            throw ValidationError("\(error)")
        }
    }
}

struct ArchiveUserPasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "password", abstract: "Set an account's password (read from stdin) and end its sessions.")

    @OptionGroup var options: ArchiveDatabaseOption

    @Argument(help: "The account name.")
    var name: String

    func run() async throws {
        let accounts = try options.open()
        let password = try ArchiveDatabaseOption.readPassword()
        do {
            try await accounts.setPassword(name, to: password)
            print("password of \(name) set")
        } catch let error as ArchiveAccountError {
            throw ValidationError("\(error)")
        }
    }
}

extension ArchiveRole: ExpressibleByArgument {}
