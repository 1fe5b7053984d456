import Foundation
import Testing
@testable import Outbound

@Suite("Spool directory")
struct SpoolDirectoryTests {
    static func withSpool<Result>(_ body: (SpoolDirectory, FaultyFileSystem, String) async throws -> Result) async throws -> Result {
        let directory = try TemporaryDirectory("sekisho-spool")
        defer { directory.remove() }
        let files = FaultyFileSystem()
        let spool = SpoolDirectory(path: "\(directory.path)/spool", fileOperations: files.operations)
        try await spool.prepare()
        return try await body(spool, files, "\(directory.path)/spool")
    }

    /// The names in `directory`; `["unreadable"]` when it cannot be listed.
    static func names(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory).sorted()) ?? ["unreadable"]
    }

    @Test("a failed rename: the temporary file is closed once and removed, nothing in msg/")
    func renameFails() async throws {
        try await Self.withSpool { spool, files, root in
            files.inject(.rename)
            await #expect(throws: MessageFileError.self) { try await spool.store(.bytes(Array("Subject: x\n\nbody\n".utf8))) }
            #expect(files.badCloses.isEmpty, "a descriptor was closed twice: \(files.badCloses)")
            #expect(files.openDescriptors.isEmpty)
            #expect(Self.names("\(root)/tmp").isEmpty)
            #expect(Self.names("\(root)/msg").isEmpty)
        }
    }

    @Test("msg/ cannot be synced after the rename: the file is taken out of msg/ again, each descriptor closed once")
    func directorySyncFails() async throws {
        try await Self.withSpool { spool, files, root in
            files.inject(.directorySync(suffix: "/msg"))
            await #expect(throws: MessageFileError.self) { try await spool.store(.bytes(Array("Subject: x\n\nbody\n".utf8))) }
            #expect(files.badCloses.isEmpty, "a descriptor was closed twice: \(files.badCloses)")
            #expect(files.openDescriptors.isEmpty)
            #expect(Self.names("\(root)/msg").isEmpty, "a message the caller was told is not stored must not be delivered")
            #expect(Self.names("\(root)/tmp").isEmpty)
            files.clear(.directorySync(suffix: "/msg"))
            let stored = try await spool.store(.bytes(Array("Subject: x\n\nbody\n".utf8)))
            #expect(Self.names("\(root)/msg") == [stored.name])
            #expect(files.badCloses.isEmpty)
        }
    }

    @Test("a full disk: nothing is left behind")
    func diskFull() async throws {
        try await Self.withSpool { spool, files, root in
            files.inject(.writeNoSpace)
            do {
                _ = try await spool.store(.bytes(Array("Subject: x\n\nbody\n".utf8)))
                Issue.record("expected ENOSPC")
            } catch let error as MessageFileError {
                #expect(error.errno == ENOSPC && error.operation == "write")
            }
            #expect(files.badCloses.isEmpty)
            #expect(Self.names("\(root)/tmp").isEmpty)
            #expect(Self.names("\(root)/msg").isEmpty)
        }
    }
}
