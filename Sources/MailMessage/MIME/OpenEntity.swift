/// An entity still being parsed.
final class OpenEntity {
    enum Kind {
        case pending
        case leaf(BodyAccumulator)
        case multipart(MultipartBuilder)
        case message
    }

    let depth: Int
    let defaultContentType: ContentType
    var inHeader = true
    var headerBytes: [UInt8] = []
    var terminator: [UInt8] = []
    var header = MessageHeader()
    var contentType: ContentType
    var kind = Kind.pending
    var encapsulated: MIMEEntity?
    var isText = false
    var sawNUL = false

    init(depth: Int, defaultContentType: ContentType) {
        self.depth = depth
        self.defaultContentType = defaultContentType
        self.contentType = defaultContentType
    }

    var multipart: MultipartBuilder? {
        if case .multipart(let builder) = kind { return builder }
        return nil
    }
}

final class MultipartBuilder {
    var boundary: [UInt8]?
    let preamble = BodyAccumulator()
    let epilogue = BodyAccumulator()
    var parts: [DelimitedPart] = []
    var currentDelimiter: [UInt8] = []
    var isClosed = false

    init(boundary: [UInt8]?) {
        self.boundary = boundary
    }
}
