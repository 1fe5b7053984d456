/// What a mail filter needs from the link store: creating links. ``LinkStore`` conforms; a
/// filter's tests can pass an in-memory fake instead.
public protocol LinkCreating: Sendable {
    /// Stores the files and returns the link and its secrets (see ``LinkStore/create(_:)``).
    func create(_ link: NewLink) async throws -> CreatedLink
}

extension LinkStore: LinkCreating {}
