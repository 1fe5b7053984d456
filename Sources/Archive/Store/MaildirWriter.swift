import CZlib
import Foundation

/// Delivers files into a Maildir++ tree the way the Maildir specification asks: written under
/// `tmp/`, `fsync`ed, then linked into `new/` of every target folder (hard links: one copy on
/// disk however many folders), the directories `fsync`ed, the `tmp/` name removed. A crash at
/// any point leaves either nothing in `new/` or the whole file. Optionally gzip-compressed
/// (Dovecot's zlib plugin reads such files; `S=` names the uncompressed size).
struct MaildirWriter: Sendable {
    let root: URL
    let compress: Bool

    /// A delivered file: its unique name and where it was linked (paths relative to the root).
    struct Delivery: Sendable {
        var key: String
        var paths: [String]
        var size: Int
        var sha256: String
    }

    /// Writes what `produce` emits into each of `folders`; `beforeLinking(size, sha256)` runs
    /// once the file is safe in `tmp/` and before it appears in `new/` (the envelope sidecar).
    func deliver(
        folders: [String], key: String, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
        beforeLinking: (Int, String) throws -> Void, onFailure: () -> Void = {}
    ) throws(ArchiveError) -> Delivery {
        let folders = folders.isEmpty ? [""] : folders
        do {
            for folder in folders { try makeFolder(folder) }
        } catch {
            throw .storage("cannot create the folder: \(error)")
        }
        let temporary = directory(folders[0]).appendingPathComponent("tmp").appendingPathComponent(key)
        let file: FileSink
        do {
            file = try FileSink(path: temporary.path, compress: compress)
        } catch {
            throw .storage("\(error)")
        }
        var written: (size: Int, sha256: String)
        do {
            try produce { bytes in try file.write(bytes) }
            written = try file.finish()
        } catch {
            file.abandon()
            unlink(temporary.path)
            throw .storage("writing \(temporary.path): \(error)")
        }
        do {
            try beforeLinking(written.size, written.sha256)
        } catch {
            unlink(temporary.path)
            throw .storage("\(error)")
        }
        let name = "\(key),S=\(written.size)"
        var paths = [String]()
        for folder in folders {
            let relative = (folder.isEmpty ? "" : folder + "/") + "new/" + name
            let target = root.appendingPathComponent(relative)
            guard link(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                for path in paths { unlink(root.appendingPathComponent(path).path) }
                unlink(temporary.path)
                onFailure()
                throw .storage("linking into \(target.path): \(reason)")
            }
            paths.append(relative)
            do {
                try Self.syncDirectory(target.deletingLastPathComponent().path)
            } catch {
                for path in paths { unlink(root.appendingPathComponent(path).path) }
                unlink(temporary.path)
                onFailure()
                throw error
            }
        }
        unlink(temporary.path)
        return Delivery(key: key, paths: paths, size: written.size, sha256: written.sha256)
    }

    func directory(_ folder: String) -> URL {
        folder.isEmpty ? root : root.appendingPathComponent(folder)
    }

    /// `folder/{tmp,new,cur}`, plus the `maildirfolder` marker Maildir++ sub-folders carry; a
    /// new folder's entry in the root is `fsync`ed too.
    private func makeFolder(_ folder: String) throws {
        let base = directory(folder)
        var created = false
        for sub in ["tmp", "new", "cur"] {
            let url = base.appendingPathComponent(sub)
            if !FileManager.default.fileExists(atPath: url.path) {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
                created = true
            }
        }
        if created {
            try Self.syncDirectory(base.path)
            if !folder.isEmpty { try Self.syncDirectory(root.path) }
        }
        if !folder.isEmpty {
            let marker = base.appendingPathComponent("maildirfolder").path
            if !FileManager.default.fileExists(atPath: marker) { FileManager.default.createFile(atPath: marker, contents: Data()) }
        }
    }

    /// `fsync`s a directory (its entries are durable after it); a failure is an error.
    static func syncDirectory(_ path: String) throws(ArchiveError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .storage("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .storage("fsync \(path): \(String(cString: strerror(errno)))") }
    }

    /// A unique Maildir name: `<seconds>.M<µs>P<pid>Q<counter>R<random>.<host>`.
    static func uniqueName(now: Date, counter: Int, host: String) -> String {
        let seconds = Int(now.timeIntervalSince1970)
        let micro = Int((now.timeIntervalSince1970 - Double(seconds)) * 1_000_000)
        var random = SystemRandomNumberGenerator()
        let hex = String(format: "%016llx", random.next() as UInt64)
        let safeHost = host.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
            .replacingOccurrences(of: ",", with: "\\054")
        return "\(seconds).M\(micro)P\(getpid())Q\(counter)R\(hex).\(safeHost)"
    }
}
