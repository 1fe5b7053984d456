/// An entity with its position in the tree: the IMAP part number (RFC 3501 §6.4.5), the nesting
/// depth and the enclosing message/rfc822 part.
public struct LocatedEntity: Sendable {
    /// IMAP body-section path: `1`, `2.1`, `2.TEXT` for the multipart body of the message/rfc822
    /// at 2, `""` for a top-level multipart.
    public let path: String
    /// The entity.
    public let entity: MIMEEntity
    /// Containers (multipart and message/rfc822 parts) above it.
    public let depth: Int
    /// Path of the innermost enclosing message/rfc822 part, if any.
    public let insideMessage: String?
    /// Content-Type of the parent multipart (`multipart/related`, …), if any.
    public let parentType: ContentType?
    /// Index steps from the root (message bodies count as step 0) — for rewriting.
    public let address: [Int]
}

extension MailMessage {
    /// Every entity in document order, containers included (the manifest's `mime_tree`).
    public var entities: [LocatedEntity] {
        var result = [LocatedEntity]()
        Self.walk(root, path: root.isMultipart ? "" : "1", childPrefix: "", depth: 0, insideMessage: nil, parentType: nil, address: [], into: &result)
        return result
    }

    private static func walk(
        _ entity: MIMEEntity,
        path: String,
        childPrefix: String,
        depth: Int,
        insideMessage: String?,
        parentType: ContentType?,
        address: [Int],
        into result: inout [LocatedEntity]
    ) {
        result.append(LocatedEntity(path: path, entity: entity, depth: depth, insideMessage: insideMessage, parentType: parentType, address: address))
        switch entity.body {
        case .leaf:
            break
        case .multipart(let multipart):
            for (index, part) in multipart.parts.enumerated() {
                let childPath = childPrefix + String(index + 1)
                walk(part.entity, path: childPath, childPrefix: childPath + ".", depth: depth + 1, insideMessage: insideMessage, parentType: entity.contentType, address: address + [index], into: &result)
            }
        case .message(let encapsulated):
            let inner = encapsulated.entity
            let innerPath = inner.isMultipart ? path + ".TEXT" : path + ".1"
            walk(inner, path: innerPath, childPrefix: path + ".", depth: depth + 1, insideMessage: path, parentType: nil, address: address + [0], into: &result)
        }
    }

    /// The entity at index `address` (see ``LocatedEntity/address``).
    public func entity(at address: [Int]) -> MIMEEntity? {
        var current = root
        for step in address {
            switch current.body {
            case .multipart(let multipart):
                guard multipart.parts.indices.contains(step) else { return nil }
                current = multipart.parts[step].entity
            case .message(let encapsulated):
                current = encapsulated.entity
            case .leaf:
                return nil
            }
        }
        return current
    }

    /// The entity with IMAP path `path`.
    public func entity(path: String) -> LocatedEntity? {
        entities.first { $0.path == path }
    }
}
