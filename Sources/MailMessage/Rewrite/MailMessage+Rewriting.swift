#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Structural rewrites. Parts are addressed by IMAP path (`2`, `1.3`, `2.TEXT`); everything not
/// touched keeps its bytes.
extension MailMessage {
    /// Removes the part at `path` from its multipart and returns it.
    @discardableResult
    public mutating func removePart(path: String) throws(RewriteError) -> MIMEEntity {
        let (parent, index) = try parentAndIndex(path)
        if isUnderSignature(parent + [index]) { throw .signed(path) }
        var removed: MIMEEntity?
        try modify(at: parent) { (entity: inout MIMEEntity) throws(RewriteError) in
            guard case .multipart(var multipart) = entity.body else { throw .notInMultipart(path) }
            removed = multipart.parts.remove(at: index).entity
            entity.body = .multipart(multipart)
        }
        guard let removed else { throw .noSuchPart(path) }
        return removed
    }

    /// Removes many parts at once, by address (``LocatedEntity/address``): one pass per parent
    /// multipart, so taking 10,000 attachments out of a message is linear, not quadratic.
    /// Addresses that are not parts of a multipart are an error; nothing is removed then.
    public mutating func removeParts(at addresses: [[Int]]) throws(RewriteError) {
        var byParent = [[Int]: Set<Int>]()
        for address in addresses {
            guard let index = address.last else { throw .notInMultipart("") }
            byParent[Array(address.dropLast()), default: []].insert(index)
        }
        // Check everything first: all or nothing.
        for (parent, indices) in byParent {
            guard let entity = entity(at: parent), case .multipart(let multipart) = entity.body else { throw .notInMultipart("") }
            guard indices.allSatisfy(multipart.parts.indices.contains) else { throw .noSuchPart("") }
            if isUnderSignature(parent) || entity.contentType.mimeType == "multipart/signed" { throw .signed("") }
        }
        // Deepest parents first: removing from an outer multipart shifts the addresses below it.
        for parent in byParent.keys.sorted(by: { $0.count > $1.count }) {
            let indices = byParent[parent] ?? []
            try modify(at: parent) { (entity: inout MIMEEntity) throws(RewriteError) in
                guard case .multipart(var multipart) = entity.body else { throw .notInMultipart("") }
                entity.body = .leaf(LeafBody(raw: .empty))  // release the copy while mutating
                multipart.parts = multipart.parts.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
                entity.body = .multipart(multipart)
            }
        }
    }

    /// Applies `change` to every entity at `addresses` (see ``LocatedEntity/address``) in one
    /// walk of the tree, so rewriting thousands of parts stays linear; an entity inside another
    /// target is changed before it. `change` may replace the entity (its delimiter line is kept).
    /// Content under a signature is refused, and nothing is changed then.
    public mutating func modifyParts(at addresses: [[Int]], _ change: (_ entity: inout MIMEEntity, _ address: [Int]) throws -> Void) throws {
        for address in addresses where isUnderSignature(address) { throw RewriteError.signed("") }
        let targets = Set(addresses)
        var onTheWay = Set<[Int]>()
        for address in addresses {
            for depth in 0..<address.count { onTheWay.insert(Array(address.prefix(depth))) }
        }
        var address = [Int]()
        try Self.modifyParts(&root, &address, targets, onTheWay, change)
    }

    private static func modifyParts(
        _ entity: inout MIMEEntity, _ address: inout [Int], _ targets: Set<[Int]>, _ onTheWay: Set<[Int]>,
        _ change: (inout MIMEEntity, [Int]) throws -> Void
    ) throws {
        if onTheWay.contains(address) {
            switch entity.body {
            case .multipart(var multipart):
                entity.body = .leaf(LeafBody(raw: .empty))  // release the copy while mutating
                defer { entity.body = .multipart(multipart) }
                for index in multipart.parts.indices {
                    address.append(index)
                    defer { address.removeLast() }
                    try modifyParts(&multipart.parts[index].entity, &address, targets, onTheWay, change)
                }
            case .message(var encapsulated):
                entity.body = .leaf(LeafBody(raw: .empty))
                defer { entity.body = .message(encapsulated) }
                address.append(0)
                defer { address.removeLast() }
                try modifyParts(&encapsulated.entity, &address, targets, onTheWay, change)
            case .leaf:
                break
            }
        }
        if targets.contains(address) { try change(&entity, address) }
    }

    /// Replaces the entity at `path` (keeping the delimiter line before it).
    public mutating func replacePart(path: String, with replacement: MIMEEntity) throws(RewriteError) {
        guard let located = entity(path: path) else { throw .noSuchPart(path) }
        if isUnderSignature(located.address) { throw .signed(path) }
        try modify(at: located.address) { (entity: inout MIMEEntity) throws(RewriteError) in entity = replacement }
    }

    /// Adds `part` at the end of the multipart at `path`; with no path, to the top-level
    /// multipart/mixed — a message that is not multipart/mixed is first wrapped in one (its body
    /// becomes the first part, byte for byte).
    public mutating func addPart(_ part: MIMEEntity, toMultipartAt path: String? = nil) throws(RewriteError) {
        if let path {
            guard let located = entity(path: path), case .multipart = located.entity.body else { throw .noSuchPart(path) }
            if isUnderSignature(located.address) || located.entity.contentType.subtype == "signed" { throw .signed(path) }
            try modify(at: located.address) { (entity: inout MIMEEntity) throws(RewriteError) in
                Self.appendPart(part, to: &entity)
            }
            return
        }
        if root.contentType.mimeType == "multipart/signed" { throw .signed("") }
        if !(root.contentType.mimeType == "multipart/mixed" && root.isMultipart) { wrapInMixed() }
        Self.appendPart(part, to: &root)
    }

    /// Appends a part to a multipart entity. A multipart that never had a boundary gets a fresh
    /// one (its old content has no delimiter lines, so it stays where it was: in the preamble).
    private static func appendPart(_ part: MIMEEntity, to entity: inout MIMEEntity) {
        guard case .multipart(var multipart) = entity.body else { return }
        if multipart.boundary.isEmpty {
            let boundary = makeBoundary()
            multipart.boundary = boundary
            entity.setContentTypeParameter("boundary", String(decoding: boundary, as: UTF8.self))
            if multipart.epilogue.count == 0 {
                multipart.epilogue = BodyBytes(Array("--".utf8) + boundary + Array("--".utf8) + [13, 10])
                multipart.isClosed = true
            }
        }
        multipart.parts.append(DelimitedPart(delimiterLine: Array("--".utf8) + multipart.boundary + [13, 10], entity: part))
        entity.body = .multipart(multipart)
    }

    /// Makes the top level multipart/mixed: the content headers and body move into a first part;
    /// trace and address headers stay on top.
    public mutating func wrapInMixed() {
        let contentFields = root.header.fields.filter { $0.name.lowercased().hasPrefix("content-") }
        var inner = MessageHeader(contentFields)
        if inner.fields.isEmpty { inner.append(HeaderField(name: "Content-Type", rawValue: "text/plain; charset=US-ASCII")) }
        inner.ensureTerminated()
        let innerEntity = MIMEEntity(header: inner, headerTerminator: root.headerTerminator.isEmpty ? [13, 10] : root.headerTerminator, body: root.body, defaultContentType: .plainText)
        var outer = MessageHeader(root.header.fields.filter { !$0.name.lowercased().hasPrefix("content-") })
        if outer["MIME-Version"] == nil { outer.append(HeaderField(name: "MIME-Version", rawValue: "1.0")) }
        let boundary = Self.makeBoundary()
        outer.append(HeaderField(name: "Content-Type", rawValue: "multipart/mixed; boundary=\"\(String(decoding: boundary, as: UTF8.self))\""))
        let delimiter = Array("--".utf8) + boundary + [13, 10]
        let close = Array("--".utf8) + boundary + Array("--".utf8) + [13, 10]
        let multipart = MultipartBody(boundary: boundary, preamble: .empty, parts: [DelimitedPart(delimiterLine: delimiter, entity: innerEntity)], epilogue: BodyBytes(close), isClosed: true)
        root = MIMEEntity(header: outer, headerTerminator: [13, 10], body: .multipart(multipart), defaultContentType: .plainText)
    }

    /// A boundary from the system CSPRNG that cannot collide with content by chance.
    static func makeBoundary() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var boundary = Array("=_sekisho_".utf8)
        for _ in 0..<24 { boundary.append(hex[Int(generator.next() % 16)]) }
        return boundary
    }

    /// Sets a header field (replacing existing ones of that name) with RFC 2047 encoding.
    public mutating func setHeader(_ name: String, _ value: String, encoding: HeaderTextEncoding = .utf8) {
        header.set(HeaderField(name: name, value: value, encoding: encoding))
    }

    /// Adds a header field (keeping existing ones) with RFC 2047 encoding.
    public mutating func addHeader(_ name: String, _ value: String, encoding: HeaderTextEncoding = .utf8) {
        header.append(HeaderField(name: name, value: value, encoding: encoding))
    }

    // MARK: - Addressing

    /// Applies `change` to the entity at `address`.
    mutating func modify(at address: [Int], _ change: (inout MIMEEntity) throws(RewriteError) -> Void) throws(RewriteError) {
        try Self.modify(&root, address[...], change)
    }

    private static func modify(_ entity: inout MIMEEntity, _ address: ArraySlice<Int>, _ change: (inout MIMEEntity) throws(RewriteError) -> Void) throws(RewriteError) {
        guard let step = address.first else { return try change(&entity) }
        switch entity.body {
        case .multipart(var multipart):
            guard multipart.parts.indices.contains(step) else { throw .noSuchPart("") }
            entity.body = .leaf(LeafBody(raw: .empty))  // release the copy while mutating
            defer { entity.body = .multipart(multipart) }
            try modify(&multipart.parts[step].entity, address.dropFirst(), change)
        case .message(var encapsulated):
            entity.body = .leaf(LeafBody(raw: .empty))
            defer { entity.body = .message(encapsulated) }
            try modify(&encapsulated.entity, address.dropFirst(), change)
        case .leaf:
            throw .noSuchPart("")
        }
    }

    private func parentAndIndex(_ path: String) throws(RewriteError) -> ([Int], Int) {
        guard let located = entity(path: path), let last = located.address.last else { throw .noSuchPart(path) }
        let parent = Array(located.address.dropLast())
        guard let parentEntity = entity(at: parent), case .multipart = parentEntity.body else { throw .notInMultipart(path) }
        return (parent, last)
    }
}
