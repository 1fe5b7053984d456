import Foundation
import Logging
import MailMessage

extension ArchiveStore {
    /// Indexes every copy with a sidecar that the index lacks; returns how many were added.
    @discardableResult
    public func catchUp(batchSize: Int = 200, logger: Logger? = nil) throws -> Int {
        let known = try index.keys()
        var batch = [IndexDocument]()
        var added = 0
        for url in journal.all() {
            let key = url.deletingPathExtension().lastPathComponent
            guard !known.contains(key) else { continue }
            do {
                let copy = try journal.read(url)
                batch.append(try document(for: copy))
            } catch {
                // A sidecar whose file never reached new/ (a crash in between): nothing was delivered.
                logger?.warning("archive copy skipped", metadata: ["key": "\(key)", "error": "\(error)"])
                continue
            }
            if batch.count >= batchSize {
                added += try index.add(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        added += try index.add(batch)
        return added
    }

    /// Rebuilds the index from disk: every sidecar, and every Maildir file without one (mail
    /// put there by other tools: the envelope is taken from its headers, the time from `Date:`
    /// or the file). Holds survive: the messages each hold covers are found again by their
    /// Maildir key (message ids change).
    @discardableResult
    public func rebuildIndex(batchSize: Int = 500, progress: ((Int) -> Void)? = nil) throws -> Int {
        let heldKeys = try index.heldKeys()
        try index.removeAll()
        defer { try? index.restoreHolds(heldKeys) }
        var indexed = try catchUp(batchSize: batchSize)
        progress?(indexed)
        let known = try index.keys()
        var batch = [IndexDocument]()
        for (relative, url) in maildirFiles() {
            let name = url.lastPathComponent
            let key = String(name.prefix { $0 != "," && $0 != ":" })
            guard !known.contains(key) else { continue }
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date()
            var copy = StoredCopy(
                key: key, paths: [relative], envelope: ArchiveEnvelope(sender: "", recipients: [], receivedAt: modified, folders: [Self.folder(of: relative)]),
                size: 0, sha256: "", compressed: Self.isGzipFile(url)
            )
            var read: (size: Int, sha256: String) = (0, "")
            guard var document = try? builder.document(streaming: { emit in
                read = try StoredFileReader.read(url, emit)
            }, copy: copy) else { continue }
            copy.size = read.size
            copy.sha256 = read.sha256
            copy.envelope.sender = document.headerAddresses.first ?? ""
            copy.envelope.recipients = Array(document.headerAddresses.dropFirst())
            if let date = document.date { copy.envelope.receivedAt = date }
            document.copy = copy
            batch.append(document)
            if batch.count >= batchSize {
                indexed += try index.add(batch)
                batch.removeAll(keepingCapacity: true)
                progress?(indexed)
            }
        }
        indexed += try index.add(batch)
        progress?(indexed)
        return indexed
    }

    /// How many message files the tree holds (all folders, `new/` and `cur/`).
    public func maildirFileCount() -> Int { maildirFiles().count }

    static func isGzipFile(_ url: URL) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 2)) ?? nil
        return head.map { [UInt8]($0) == [0x1F, 0x8B] } ?? false
    }

    static func folder(of relative: String) -> String {
        let parts = relative.split(separator: "/")
        return parts.count >= 3 ? String(parts[0]) : ""
    }

    /// Every message file in the tree (root and `.Folder`s, `new/` and `cur/`), as path
    /// relative to the root and URL.
    func maildirFiles() -> [(String, URL)] {
        let manager = FileManager.default
        let root = settings.root
        var folders = [""]
        if let entries = try? manager.contentsOfDirectory(atPath: root.path) {
            folders += entries.filter { $0.hasPrefix(".") && $0 != "." && $0 != ".." }.sorted()
        }
        var files = [(String, URL)]()
        for folder in folders {
            for sub in ["new", "cur"] {
                let relativeDirectory = (folder.isEmpty ? "" : folder + "/") + sub
                let directory = root.appendingPathComponent(relativeDirectory)
                guard let names = try? manager.contentsOfDirectory(atPath: directory.path) else { continue }
                for name in names.sorted() where !name.hasPrefix(".") {
                    files.append((relativeDirectory + "/" + name, directory.appendingPathComponent(name)))
                }
            }
        }
        return files
    }

    /// Deletes a message: every file (all folders), its sidecar, its catalogue row.
    public func delete(_ message: ArchivedMessage) throws {
        for url in files(of: message) where unlink(url.path) != 0 && errno != ENOENT {
            throw ArchiveError.storage("cannot delete \(url.path): \(String(cString: strerror(errno)))")
        }
        journal.remove(key: message.key)
        try index.remove(ids: [message.id])
    }

    /// Deletes what retention allows now (never a held message); returns how many. A copy that
    /// cannot be deleted is logged and skipped (the others still go).
    @discardableResult
    public func purgeExpired(now: Date = Date(), logger: Logger? = nil) throws -> Int {
        let searchHeld = try index.idsUnderSearchHolds()
        var deleted = 0
        var cursor: (deleteAfter: Double, id: Int64)?
        while true {
            let page = try index.expired(now: now, after: cursor, limit: 500)
            guard let last = page.last else { return deleted }
            cursor = ((last.deleteAfter ?? now).timeIntervalSince1970, last.id)
            for message in page where !searchHeld.contains(message.id) {
                // A hold placed since the page was read wins.
                guard try index.message(id: message.id, scope: .everything)?.held == false else { continue }
                do {
                    try delete(message)
                    logger?.info("archive copy deleted after retention", metadata: ["key": "\(message.key)", "queue_id": "\(message.envelope.queueID ?? "-")"])
                    deleted += 1
                } catch {
                    logger?.error("archive copy not deleted", metadata: ["key": "\(message.key)", "error": "\(error)"])
                }
            }
        }
    }
}
