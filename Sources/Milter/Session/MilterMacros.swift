import NIOCore

/// The macros the MTA has sent so far and that are still valid, with libmilter's lifetimes: a
/// `CONNECT`, `HELO`, `MAIL`, `RCPT`, … command clears the macros of every later stage, and an
/// abort clears those of the message.
///
/// Each stage keeps the `SMFIC_MACRO` payload as received and is parsed only when looked up, so
/// the macros Postfix sends before every header and body chunk cost nothing unless used.
public struct MilterMacros: Hashable, Sendable {
    struct Stage: Hashable, Sendable {
        var rank: Int
        var code: UInt8
        /// Where this stage's `name\0value\0…` bytes sit in ``arena``.
        var start: Int
        var length: Int
    }

    /// Ordered by rank (connect first); lookups search from the newest stage back.
    private(set) var stages: [Stage] = []
    /// The stages' bytes, appended as they arrive and compacted when mostly stale, so storing a
    /// stage allocates nothing in the steady state and keeps no received packet alive.
    private var arena = ByteBuffer()

    public init() {}

    private func pairs(_ stage: Stage) -> ByteBuffer {
        arena.getSlice(at: stage.start, length: stage.length)!
    }

    public static func == (lhs: MilterMacros, rhs: MilterMacros) -> Bool {
        lhs.stages.count == rhs.stages.count
            && zip(lhs.stages, rhs.stages).allSatisfy { left, right in
                left.code == right.code && lhs.pairs(left) == rhs.pairs(right)
            }
    }

    public func hash(into hasher: inout Hasher) {
        for stage in stages {
            hasher.combine(stage.code)
            hasher.combine(pairs(stage))
        }
    }

    /// The value of a macro, searched from the newest stage back to connect. `i` and `{i}` are the
    /// same name, as in libmilter's `smfi_getsymval`.
    public subscript(name: String) -> String? {
        let key = Array(Self.normalized(name).utf8)
        for stage in stages.reversed() {
            if let value = Self.lookup(key, in: pairs(stage)) {
                return value
            }
        }
        return nil
    }

    /// The MTA's queue id (macro `i`), when it has been sent (Postfix: from the first accepted RCPT on).
    public var queueID: String? { self["i"] }

    /// The macros of one stage as last sent (for `SMFIC_MACRO` stage `code`).
    public func macros(for code: MilterCommandCode) -> [MilterMacro] {
        guard let stage = stages.first(where: { $0.code == code.rawValue }) else { return [] }
        return Self.parse(pairs(stage))
    }

    /// Every macro currently visible, newest stage first, first value of each name.
    public var all: [MilterMacro] {
        var seen = Set<Substring>()
        var result: [MilterMacro] = []
        for stage in stages.reversed() {
            for macro in Self.parse(pairs(stage)) where seen.insert(Self.normalized(macro.name)).inserted {
                result.append(macro)
            }
        }
        return result
    }

    /// Stores the list for one stage, replacing the previous list of that stage.
    mutating func set(_ code: MilterCommandCode, _ macros: [MilterMacro]) {
        var pairs = ByteBuffer()
        for macro in macros {
            pairs.writeMilterCString(macro.name)
            pairs.writeMilterCString(macro.value)
        }
        set(code, pairs: pairs)
    }

    /// Stores a stage's raw `name\0value\0…` bytes (already checked to end in NUL).
    mutating func set(_ code: MilterCommandCode, pairs: ByteBuffer) {
        let live = stages.reduce(0) { $0 + ($1.code == code.rawValue ? 0 : $1.length) }
        if arena.writerIndex > 4096 && arena.writerIndex > 4 * (live + pairs.readableBytes) {
            compact()
        }
        let start = arena.writerIndex
        arena.writeImmutableBuffer(pairs)
        if let index = stages.firstIndex(where: { $0.code == code.rawValue }) {
            stages[index].start = start
            stages[index].length = pairs.readableBytes
            return
        }
        let rank = Self.rank(code)
        let stage = Stage(rank: rank, code: code.rawValue, start: start, length: pairs.readableBytes)
        if let index = stages.firstIndex(where: { $0.rank > rank }) {
            stages.insert(stage, at: index)
        } else {
            stages.append(stage)
        }
    }

    /// Rewrites the arena with only the live stages.
    private mutating func compact() {
        var fresh = ByteBuffer()
        fresh.reserveCapacity(stages.reduce(0) { $0 + $1.length } + 1024)
        for index in stages.indices {
            let bytes = pairs(stages[index])
            stages[index].start = fresh.writerIndex
            fresh.writeImmutableBuffer(bytes)
        }
        arena = fresh
    }

    /// Drops the stages after `code` (called when command `code` arrives).
    mutating func clear(after code: MilterCommandCode) {
        let rank = Self.rank(code)
        if stages.contains(where: { $0.rank > rank && $0.rank < Self.unknownRank }) {
            stages.removeAll { $0.rank > rank && $0.rank < Self.unknownRank }
        }
    }

    /// Drops the message stages (MAIL and later), as after an abort.
    mutating func clearMessage() {
        if stages.contains(where: { $0.rank >= 2 && $0.rank < Self.unknownRank }) {
            stages.removeAll { $0.rank >= 2 && $0.rank < Self.unknownRank }
        }
    }

    /// Drops everything (QUIT_NC).
    mutating func removeAll() {
        stages.removeAll()
        arena.clear()
    }

    static let unknownRank = 9

    /// Stage order for lifetimes and lookups. Postfix's `L` (before each header) and `B` (before
    /// each body chunk) lists sit with end of headers and end of message.
    static func rank(_ code: MilterCommandCode) -> Int {
        switch code {
        case .connect: 0
        case .helo: 1
        case .mail: 2
        case .recipient: 3
        case .data: 4
        case .header: 5
        case .endOfHeaders: 6
        case .body: 7
        case .endOfMessage: 8
        default: unknownRank
        }
    }

    /// A macro name without braces: `{i}` → `i`, `{daemon_name}` → `daemon_name`.
    public static func normalizedName(_ name: String) -> String {
        String(normalized(name))
    }

    static func normalized(_ name: String) -> Substring {
        var text = Substring(name)
        if text.hasPrefix("{") && text.hasSuffix("}") && text.count >= 2 {
            text = text.dropFirst().dropLast()
        }
        return text
    }

    /// Finds `key` (braces removed) among `name\0value\0` pairs.
    private static func lookup(_ key: [UInt8], in pairs: ByteBuffer) -> String? {
        pairs.withUnsafeReadableBytes { raw -> String? in
            var index = 0
            let count = raw.count
            while index < count {
                let nameStart = index
                while index < count && raw[index] != 0 { index += 1 }
                let nameEnd = index
                index += 1
                let valueStart = min(index, count)
                while index < count && raw[index] != 0 { index += 1 }
                let valueEnd = index
                index += 1
                var start = nameStart
                var end = nameEnd
                if end - start >= 2 && raw[start] == UInt8(ascii: "{") && raw[end - 1] == UInt8(ascii: "}") {
                    start += 1
                    end -= 1
                }
                if end - start == key.count && (0..<key.count).allSatisfy({ raw[start + $0] == key[$0] }) {
                    return String(decoding: UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd]), as: UTF8.self)
                }
            }
            return nil
        }
    }

    static func parse(_ pairs: ByteBuffer) -> [MilterMacro] {
        var buffer = pairs
        var result: [MilterMacro] = []
        while buffer.readableBytes > 0 {
            guard let name = try? buffer.readMilterCString("macro name") else { break }
            let value = buffer.readableBytes > 0 ? ((try? buffer.readMilterCString("macro value")) ?? "") : ""
            result.append(MilterMacro(name: name, value: value))
        }
        return result
    }
}
