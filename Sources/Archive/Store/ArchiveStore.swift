import Foundation
import MailMessage
import Synchronization

/// The archive on disk: Maildir++ files with their envelope sidecars, and the index over them.
///
/// Writing a copy (``write(envelope:savedFor:produce:)``) is durable when it returns — the file
/// is in `new/` of every folder and its sidecar is on disk — which is what the gateway waits for
/// before it answers the MTA. Indexing follows (``ArchiveIndexer`` batches it; a restart catches
/// up from the sidecars).
public final class ArchiveStore: Sendable {
    public let settings: ArchiveStoreSettings
    public let index: ArchiveIndex
    let pattern: MaildirFolderPattern
    let writer: MaildirWriter
    let journal: EnvelopeJournal
    let builder: DocumentBuilder
    private let counter = Mutex(0)

    public init(settings: ArchiveStoreSettings, database: ArchiveDatabase) throws {
        self.settings = settings
        pattern = try MaildirFolderPattern(settings.folderPattern)
        writer = MaildirWriter(root: settings.root, compress: settings.compress)
        journal = EnvelopeJournal(root: settings.root)
        index = ArchiveIndex(database: database, timeZone: settings.timeZone)
        let scratch = settings.root.appendingPathComponent("sekisho/tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        builder = DocumentBuilder(extractors: settings.extractors, scratch: scratch)
    }

    /// This machine's name, looked up once.
    static let machineName = ProcessInfo.processInfo.hostName

    /// The folders a copy goes to: one per archived address when the pattern names the address,
    /// else one.
    public func folders(for envelope: ArchiveEnvelope, savedFor addresses: [String]) -> [String] {
        guard pattern.usesAddress else { return [pattern.folder(date: envelope.receivedAt, address: nil, timeZone: settings.timeZone)] }
        var seen = Set<String>()
        return addresses.map { pattern.folder(date: envelope.receivedAt, address: $0, timeZone: settings.timeZone) }
            .filter { seen.insert($0).inserted }
    }

    /// Stores a copy durably: file in `tmp/`, `fsync`, sidecar, links into `new/`. `savedFor`
    /// are the addresses the archive policy chose (folder per address); `nil` means all of the envelope's.
    public func write(
        envelope: ArchiveEnvelope, savedFor addresses: [String]? = nil, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws -> StoredCopy {
        var envelope = envelope
        let folders = folders(for: envelope, savedFor: addresses ?? envelope.addresses)
        envelope.folders = folders.isEmpty ? [""] : folders
        let next = counter.withLock { value in
            value += 1
            return value
        }
        let key = MaildirWriter.uniqueName(now: Date(), counter: next, host: settings.hostName ?? Self.machineName)
        // The sidecar must exist before the file shows in new/ (the index is rebuilt from
        // sidecars); its size and digest are known only after writing, so write into tmp/
        // first, then the sidecar, then link.
        var copy: StoredCopy?
        let delivery = try writer.deliver(folders: envelope.folders, key: key, produce: produce) { size, digest in
            let record = StoredCopy(
                key: key, paths: envelope.folders.map { ($0.isEmpty ? "" : $0 + "/") + "new/\(key),S=\(size)" }, envelope: envelope,
                size: size, sha256: digest, compressed: settings.compress
            )
            try journal.write(record)
            copy = record
        } onFailure: {
            journal.remove(key: key)
        }
        guard var copy else { throw ArchiveError.storage("no envelope written for \(delivery.key)") }
        copy.paths = delivery.paths
        return copy
    }

    /// Stores `bytes` (``write(envelope:savedFor:produce:)``).
    public func write(_ bytes: [UInt8], envelope: ArchiveEnvelope, savedFor addresses: [String]? = nil) throws -> StoredCopy {
        try write(envelope: envelope, savedFor: addresses) { emit in try bytes.withUnsafeBytes { try emit($0) } }
    }

    /// Stores and indexes at once (tools and tests; the gateway batches through ``ArchiveIndexer``).
    @discardableResult
    public func save(_ bytes: [UInt8], envelope: ArchiveEnvelope) throws -> ArchivedMessage {
        let copy = try write(bytes, envelope: envelope)
        try index.add([builder.document(bytes, copy: copy)])
        guard let message = try index.message(key: copy.key) else { throw ArchiveError.storage("indexed copy \(copy.key) not found") }
        return message
    }

    /// Reads `copy` back (streamed into the MIME parser, large parts spooled) and builds its
    /// index document.
    public func document(for copy: StoredCopy) throws -> IndexDocument {
        let path = copy.paths.first ?? ""
        guard let url = fileURL(path: path, key: copy.key) else { throw ArchiveError.notFound("the file of \(copy.key) (\(path))") }
        var digest = ""
        let document = try builder.document(streaming: { digest = try StoredFileReader.read(url, $0).sha256 }, copy: copy)
        guard digest == copy.sha256 else { throw ArchiveError.corrupt("\(url.path) does not match the SHA-256 its envelope records") }
        return document
    }

    /// Streams the stored message (decompressed) to `body` in chunks, then checks its digest.
    public func read(_ message: ArchivedMessage, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let url = fileURL(path: message.path, key: message.key) else { throw ArchiveError.notFound("the file of \(message.key) (\(message.path))") }
        let (_, digest) = try StoredFileReader.read(url, body)
        guard digest == message.sha256 else { throw ArchiveError.corrupt("\(url.path) does not match its recorded SHA-256") }
    }

    /// The stored message, decompressed, its SHA-256 checked against the catalogue.
    public func bytes(of message: ArchivedMessage) throws -> [UInt8] {
        try bytes(path: message.path, key: message.key, expectedSHA256: message.sha256)
    }

    func bytes(path: String, key: String, expectedSHA256: String?) throws -> [UInt8] {
        guard let url = fileURL(path: path, key: key) else { throw ArchiveError.notFound("the file of \(key) (\(path))") }
        var bytes = [UInt8]()
        let (_, digest) = try StoredFileReader.read(url) { bytes.append(contentsOf: $0) }
        if let expectedSHA256, digest != expectedSHA256 {
            throw ArchiveError.corrupt("\(url.path) does not match its recorded SHA-256")
        }
        return bytes
    }

    /// Where the file is now: as written in `new/`, or moved to `cur/` by an IMAP server
    /// (`<name>:2,<flags>`).
    public func fileURL(path: String, key: String) -> URL? {
        let manager = FileManager.default
        let written = settings.root.appendingPathComponent(path)
        if manager.fileExists(atPath: written.path) { return written }
        let folder = written.deletingLastPathComponent().deletingLastPathComponent()
        let name = written.lastPathComponent
        let current = folder.appendingPathComponent("cur")
        for flags in ["", "S", "RS", "FS"] {
            let candidate = current.appendingPathComponent(name + ":2," + flags)
            if manager.fileExists(atPath: candidate.path) { return candidate }
        }
        guard let names = try? manager.contentsOfDirectory(atPath: current.path) else { return nil }
        return names.first { $0.hasPrefix(key + ",") || $0.hasPrefix(key + ":") || $0 == key }.map { current.appendingPathComponent($0) }
    }

    /// Every file path of a message in every folder (new/ or cur/).
    func files(of message: ArchivedMessage) -> [URL] {
        var urls = [URL]()
        let name = URL(fileURLWithPath: message.path, isDirectory: false).lastPathComponent
        for folder in message.envelope.folders {
            let path = (folder.isEmpty ? "" : folder + "/") + "new/" + name
            if let url = fileURL(path: path, key: message.key) { urls.append(url) }
        }
        return urls
    }

    /// Writes `messages` to one file.
    public func export(_ messages: [ArchivedMessage], format: ArchiveExportFormat, to url: URL) throws {
        try ArchiveExporter(store: self).export(messages, format: format, to: url)
    }
}
