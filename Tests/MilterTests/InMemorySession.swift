import Logging
import NIOConcurrencyHelpers
import NIOCore
import TestSupport

@testable import Milter

/// Bytes fed to the session driver in the given pieces, then end of stream.
final class ScriptedSource: MilterByteSource {
    private let chunks: NIOLockedValueBox<[ByteBuffer]>

    init(_ chunks: [[UInt8]]) {
        self.chunks = NIOLockedValueBox(chunks.map { ByteBuffer(bytes: $0) })
    }

    func next() async throws -> ByteBuffer? {
        chunks.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// Records every write and keep-alive call.
final class CollectingTransport: MilterTransport {
    let writes = NIOLockedValueBox<[ByteBuffer]>([])
    let acknowledgements = NIOLockedValueBox(0)

    func write(_ buffer: ByteBuffer) async throws {
        writes.withLockedValue { $0.append(buffer) }
    }

    func beginSlowWork() {}
    func endSlowWork() {}
    func acknowledgeNow() { acknowledgements.withLockedValue { $0 += 1 } }
    func finish() {}

    var bytes: [UInt8] {
        writes.withLockedValue { $0.flatMap { Array($0.readableBytesView) } }
    }
}

/// What a scripted handler saw, shared across the handlers of one session.
final class EventLog: Sendable {
    private let entries = NIOLockedValueBox<[String]>([])
    private let handlers = NIOLockedValueBox(0)
    let bodyBytes = NIOLockedValueBox(0)
    let lastConnect = NIOLockedValueBox<ConnectInfo?>(nil)
    let lastMacros = NIOLockedValueBox<MilterMacros?>(nil)

    func append(_ entry: String) { entries.withLockedValue { $0.append(entry) } }
    var events: [String] { entries.withLockedValue { $0 } }
    func handlerCreated() { handlers.withLockedValue { $0 += 1 } }
    var handlersCreated: Int { handlers.withLockedValue { $0 } }
}

/// A handler whose verdicts are given per event, recording what it is called with.
struct ScriptedHandler: MilterHandler {
    var capabilities: MilterCapabilities
    var verdicts: [String: MilterVerdict]
    var failAt: Set<String>
    var endOfMessageAction: @Sendable (MessageModifier) throws -> MilterVerdict
    let log: EventLog

    init(
        capabilities: MilterCapabilities = MilterCapabilities(),
        verdicts: [String: MilterVerdict] = [:],
        failAt: Set<String> = [],
        log: EventLog,
        endOfMessage: @escaping @Sendable (MessageModifier) throws -> MilterVerdict = { _ in .continue }
    ) {
        self.capabilities = capabilities
        self.verdicts = verdicts
        self.failAt = failAt
        self.endOfMessageAction = endOfMessage
        self.log = log
        log.handlerCreated()
    }

    private func verdict(_ event: String) throws -> MilterVerdict {
        log.append(event)
        if failAt.contains(event) {
            throw TestFailure("scripted failure at \(event)")
        }
        return verdicts[event] ?? .continue
    }

    func connect(_ client: ConnectInfo, macros: MilterMacros) async throws -> MilterVerdict {
        log.lastConnect.withLockedValue { $0 = client }
        return try verdict("connect")
    }
    func helo(_ name: String, macros: MilterMacros) async throws -> MilterVerdict { try verdict("helo") }
    func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        log.lastMacros.withLockedValue { $0 = macros }
        return try verdict("mail")
    }
    func envelopeRecipient(_ recipient: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        try verdict("rcpt")
    }
    func data(macros: MilterMacros) async throws -> MilterVerdict { try verdict("data") }
    func header(_ field: HeaderField, macros: MilterMacros) async throws -> MilterVerdict { try verdict("header") }
    func endOfHeaders(macros: MilterMacros) async throws -> MilterVerdict { try verdict("eoh") }
    func bodyChunk(_ chunk: ByteBuffer, macros: MilterMacros) async throws -> MilterVerdict {
        log.bodyBytes.withLockedValue { $0 += chunk.readableBytes }
        return try verdict("body")
    }
    func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        log.lastMacros.withLockedValue { $0 = macros }
        log.append("eom")
        return try endOfMessageAction(modifier)
    }
    func abort(macros: MilterMacros) async { log.append("abort") }
    func unknown(_ command: String, macros: MilterMacros) async throws -> MilterVerdict { try verdict("unknown") }
    func close() async { log.append("close") }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The result of one in-memory session.
struct SessionRun {
    var output: [UInt8]
    var outcome: MilterSessionDriver.Outcome
    var log: EventLog
    var logs: LogCapture
    var transport: CollectingTransport

    var responses: [MilterResponse] {
        get throws { try frames(output).map { try MilterResponse(frame: $0) } }
    }

    var isViolation: Bool {
        if case .violation = outcome { return true }
        return false
    }

    var isCleanEnd: Bool {
        switch outcome {
        case .quit, .endOfStream: true
        default: false
        }
    }
}

/// Runs the session driver over `commands` (or raw byte pieces) with scripted handlers.
func runSession(
    _ input: [[UInt8]],
    failureVerdict: MilterVerdict = .tempfail,
    makeHandler: @escaping (EventLog) -> ScriptedHandler = { ScriptedHandler(log: $0) }
) async -> SessionRun {
    let log = EventLog()
    let logs = LogCapture()
    let transport = CollectingTransport()
    let driver = MilterSessionDriver(
        settings: .init(maximumFrameLength: MilterFrameDecoder.defaultMaximumFrameLength, failureVerdict: failureVerdict),
        context: MilterSessionContext(sessionID: 1, peer: "test", logger: logs.logger()),
        makeHandler: { _ in makeHandler(log) }
    )
    let outcome = await driver.run(inbound: ScriptedSource(input), transport: transport, watchdog: nil)
    return SessionRun(output: transport.bytes, outcome: outcome, log: log, logs: logs, transport: transport)
}

func runSession(
    commands: [MilterCommand],
    failureVerdict: MilterVerdict = .tempfail,
    makeHandler: @escaping (EventLog) -> ScriptedHandler = { ScriptedHandler(log: $0) }
) async -> SessionRun {
    await runSession(commands.map { encoded($0) }, failureVerdict: failureVerdict, makeHandler: makeHandler)
}

/// The negotiation reply the default capabilities produce for Postfix's offer.
let defaultReply = MilterResponse.optionNegotiation(
    try! NegotiatedOptions.negotiate(offer: .postfix, capabilities: MilterCapabilities()).reply
)

/// A whole Postfix-shaped message, MAIL to EOM, with macros before each step.
func postfixMessage(headers: [(String, String)] = [("From", "a@example.com"), ("Subject", "hi")], body: [UInt8] = Array("body\r\n".utf8)) -> [MilterCommand] {
    var commands: [MilterCommand] = [
        .macro(stage: .mail, macros: [MilterMacro(name: "{mail_addr}", value: "a@example.com")]),
        .mail(sender: "<a@example.com>", parameters: ["SIZE=100"]),
        .macro(stage: .recipient, macros: [MilterMacro(name: "i", value: "QID1"), MilterMacro(name: "{rcpt_addr}", value: "b@example.org")]),
        .recipient("<b@example.org>", parameters: []),
        .macro(stage: .data, macros: [MilterMacro(name: "i", value: "QID1")]),
        .data,
    ]
    for (name, value) in headers {
        commands.append(.macro(stage: .header, macros: [MilterMacro(name: "i", value: "QID1")]))
        commands.append(.header(name: name, value: ByteBuffer(string: value)))
    }
    commands.append(.macro(stage: .endOfHeaders, macros: [MilterMacro(name: "i", value: "QID1")]))
    commands.append(.endOfHeaders)
    var rest = body[...]
    while !rest.isEmpty {
        commands.append(.macro(stage: .body, macros: [MilterMacro(name: "i", value: "QID1")]))
        commands.append(.body(ByteBuffer(bytes: rest.prefix(65_535))))
        rest = rest.dropFirst(65_535)
    }
    commands.append(.macro(stage: .endOfMessage, macros: [MilterMacro(name: "i", value: "QID1")]))
    commands.append(.endOfMessage(finalChunk: nil))
    return commands
}

let postfixConnect: [MilterCommand] = [
    .optionNegotiation(.postfix),
    .macro(stage: .connect, macros: [MilterMacro(name: "j", value: "mx.test"), MilterMacro(name: "{daemon_name}", value: "mx.test")]),
    .connect(hostname: "client.example.net", address: .inet(address: "192.0.2.7", port: 50000)),
    .macro(stage: .helo, macros: []),
    .helo("client.example.net"),
]

/// The replies to ``postfixMessage(headers:body:)`` when every event continues.
func continueReplies(headers: Int = 2, bodyChunks: Int = 1) -> [MilterResponse] {
    [.continue, .continue, .continue] + Array(repeating: .continue, count: headers) + [.continue]
        + Array(repeating: .continue, count: bodyChunks) + [.continue]
}
