import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blob written by ``BlobStore/write(key:content:)``.
struct StoredBlob: Hashable, Sendable {
    /// The blob's name: SHA-256 of its stored (encrypted) bytes, lowercase hex.
    var name: String
    /// Plaintext size.
    var size: Int64
    /// SHA-256 of the plaintext, lowercase hex.
    var sha256: String
}

/// The encrypted files on disk, content-addressed: `blobs/ab/cdef…` is the blob whose stored
/// bytes hash (SHA-256) to `abcdef…`. A blob is written to `blobs/tmp/`, fsync'd, renamed
/// into place and its directory fsync'd, so a name never points at a partial file.
///
/// Its methods block: call them from a thread pool (``LinkStore`` does).
struct BlobStore: Sendable {
    /// `<directory>/blobs`.
    let root: String

    /// Creates `root` and `root/tmp` (mode 0700) when missing.
    /// - Throws: ``LinkError`` (storage).
    func prepare() throws(LinkError) {
        try Self.makeDirectory(root)
        try Self.makeDirectory(root + "/tmp")
    }

    /// Encrypts what `content` produces under `key` (``StreamSealer``) into a new blob.
    /// - Throws: ``LinkError`` (storage) when the disk refuses, or what `content` throws. Nothing
    ///   is left behind on failure.
    func write(key: SymmetricKey, content: NewLink.Content) throws -> StoredBlob {
        var generator = SystemRandomNumberGenerator()
        let temporary = root + "/tmp/" + LinkSecrets.hex(LinkSecrets.randomBytes(16, using: &generator)) + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LinkError.storage("cannot create a blob", path: temporary, errno: errno) }
        var isOpen = true
        var placed = false
        defer {
            if isOpen { close(descriptor) }
            if !placed { unlink(temporary) }
        }
        var sealer = StreamSealer(
            key: key, noncePrefix: LinkSecrets.randomBytes(SealedStream.noncePrefixSize, using: &generator))
        var storedDigest = SHA256()
        var plainDigest = SHA256()
        func put(_ bytes: [UInt8]) throws {
            storedDigest.update(data: bytes)
            try Self.writeAll(descriptor, bytes, path: temporary)
        }
        try put(sealer.header.bytes)
        try content { piece in
            plainDigest.update(bufferPointer: piece)
            try sealer.append(piece, emit: put)
        }
        try sealer.finish(emit: put)
        guard fsync(descriptor) == 0 else {
            throw LinkError.storage("cannot fsync a blob", path: temporary, errno: errno)
        }
        isOpen = false
        guard close(descriptor) == 0 else {
            throw LinkError.storage("cannot close a blob", path: temporary, errno: errno)
        }
        let name = LinkSecrets.hex(storedDigest.finalize())
        let directory = root + "/" + name.prefix(2)
        try Self.makeDirectory(directory)
        guard rename(temporary, try path(of: name)) == 0 else {
            throw LinkError.storage("cannot move a blob into place", path: directory, errno: errno)
        }
        placed = true
        try Self.syncDirectory(directory)
        return StoredBlob(name: name, size: sealer.plaintextSize, sha256: LinkSecrets.hex(plainDigest.finalize()))
    }

    /// The path of a blob.
    /// - Throws: ``LinkError`` (corrupt) for a name that is not 64 hex digits (a damaged record
    ///   must not point outside the store).
    func path(of name: String) throws(LinkError) -> String {
        guard Self.isBlobName(name) else { throw .corrupt("the blob name \"\(name)\" is not a SHA-256 digest") }
        return root + "/" + name.prefix(2) + "/" + name.dropFirst(2)
    }

    /// Removes a blob; a missing one counts as removed.
    /// - Throws: ``LinkError`` (storage) when it exists and cannot be removed.
    func remove(_ name: String) throws(LinkError) {
        let file = try path(of: name)
        guard unlink(file) == 0 || errno == ENOENT else {
            throw .storage("cannot remove a blob", path: file, errno: errno)
        }
    }

    /// Removes blobs not in `keep`, and temporary files, last modified before `cutoff` (left by
    /// a crash between writing a blob and recording it). Returns how many it removed.
    func sweep(keeping keep: Set<String>, modifiedBefore cutoff: Date) -> Int {
        let manager = FileManager.default
        var removed = 0
        func removeIfOld(_ path: String) {
            guard let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                modified < cutoff, unlink(path) == 0
            else { return }
            removed += 1
        }
        for entry in (try? manager.contentsOfDirectory(atPath: root)) ?? [] {
            if entry == "tmp" {
                for file in (try? manager.contentsOfDirectory(atPath: root + "/tmp")) ?? [] {
                    removeIfOld(root + "/tmp/" + file)
                }
                continue
            }
            guard entry.count == 2 else { continue }
            for file in (try? manager.contentsOfDirectory(atPath: root + "/" + entry)) ?? []
            where !keep.contains(entry + file) {
                removeIfOld(root + "/" + entry + "/" + file)
            }
        }
        return removed
    }

    static func isBlobName(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func makeDirectory(_ path: String) throws(LinkError) {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw .storage("cannot create the directory", path: path, errno: errno)
        }
    }

    private static func syncDirectory(_ path: String) throws(LinkError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .storage("cannot open the directory", path: path, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .storage("cannot fsync the directory", path: path, errno: errno) }
    }

    private static func writeAll(_ descriptor: CInt, _ bytes: [UInt8], path: String) throws(LinkError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { posixWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .storage("cannot write a blob", path: path, errno: errno)
            }
            offset += written
        }
    }
}

/// `write(2)` (the name is taken by ``BlobStore/write(key:content:)`` inside the type).
private func posixWrite(_ descriptor: CInt, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
