import Foundation

/// The envelope sidecars: `<root>/sekisho/envelopes/<YYYYMMDD>/<key>.json` (a directory without a
/// leading dot, so Dovecot never takes it for a folder). Written `tmp` → `fsync` → rename.
struct EnvelopeJournal: Sendable {
    let directory: URL

    init(root: URL) {
        directory = root.appendingPathComponent("sekisho/envelopes")
    }

    private static func day(of key: String) -> String {
        let seconds = Double(key.prefix { $0.isNumber }) ?? 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: seconds))
        return String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    func url(for key: String) -> URL {
        directory.appendingPathComponent(Self.day(of: key)).appendingPathComponent(key + ".json")
    }

    func write(_ copy: StoredCopy) throws(ArchiveError) {
        let target = url(for: copy.key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        do {
            let day = target.deletingLastPathComponent()
            if !FileManager.default.fileExists(atPath: day.path) {
                try FileManager.default.createDirectory(at: day, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
                try MaildirWriter.syncDirectory(day.deletingLastPathComponent().path)
            }
            let data = try encoder.encode(copy)
            let temporary = target.path + ".tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw ArchiveError.storage("cannot create \(temporary): \(String(cString: strerror(errno)))") }
            let ok = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) == $0.count } && fsync(descriptor) == 0
            close(descriptor)
            guard ok, rename(temporary, target.path) == 0 else {
                unlink(temporary)
                throw ArchiveError.storage("cannot write \(target.path): \(String(cString: strerror(errno)))")
            }
            try MaildirWriter.syncDirectory(target.deletingLastPathComponent().path)
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw .storage("envelope \(target.path): \(error)")
        }
    }

    func read(_ url: URL) throws(ArchiveError) -> StoredCopy {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(StoredCopy.self, from: Data(contentsOf: url))
        } catch {
            throw .corrupt("envelope \(url.path): \(error)")
        }
    }

    func remove(key: String) {
        unlink(url(for: key).path)
    }

    /// Every sidecar, oldest day first.
    func all() -> [URL] {
        let manager = FileManager.default
        guard let days = try? manager.contentsOfDirectory(atPath: directory.path) else { return [] }
        var urls = [URL]()
        for day in days.sorted() {
            let folder = directory.appendingPathComponent(day)
            guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names.sorted() where name.hasSuffix(".json") { urls.append(folder.appendingPathComponent(name)) }
        }
        return urls
    }
}
