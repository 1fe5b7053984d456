import Outbound
import Testing

@Suite("Transaction state machine")
struct TransactionStateMachineTests {
    typealias Action = SMTPTransactionStateMachine.Action

    static func address(_ text: String) -> SMTPAddress {
        (try? SMTPAddress(text)) ?? .null
    }

    static let sender = address("a@example.com")
    static let rcpts = ["b@example.org", "c@example.org", "d@example.org"].map(address)
    static let ok = SMTPResponse(code: 250, enhancedCode: EnhancedStatusCode("2.0.0"), "Ok")
    static let go = SMTPResponse(code: 354, "End data with <CR><LF>.<CR><LF>")
    static let refused = SMTPResponse(code: 550, enhancedCode: EnhancedStatusCode("5.1.1"), "no such user")
    static let later = SMTPResponse(code: 450, enhancedCode: EnhancedStatusCode("4.2.0"), "try later")
    static let queued = SMTPResponse(code: 250, enhancedCode: EnhancedStatusCode("2.0.0"), "Ok: queued as ABC")

    static func capabilities(_ keywords: [String: [String]] = ["PIPELINING": [], "8BITMIME": [], "SIZE": ["1000"]]) -> SMTPCapabilities {
        SMTPCapabilities(keywords: keywords)
    }

    static func machine(
        recipients: [SMTPAddress] = rcpts,
        properties: MessageProperties = MessageProperties(size: 100, hasEightBitBytes: false),
        capabilities: SMTPCapabilities = capabilities(),
        sender: SMTPAddress = sender
    ) -> SMTPTransactionStateMachine {
        SMTPTransactionStateMachine(sender: sender, recipients: recipients, message: properties, capabilities: capabilities)
    }

    static func result(_ action: Action) -> TransactionResult? {
        if case .finished(let result) = action { return result }
        return nil
    }

    @Test("pipelined: MAIL, every RCPT and DATA in one write; one refused recipient")
    func pipelinedPartialRefusal() throws {
        var machine = Self.machine()
        #expect(machine.start() == .send([
            .mail(from: Self.sender, parameters: .init(size: 100)),
            .recipient(Self.rcpts[0]), .recipient(Self.rcpts[1]), .recipient(Self.rcpts[2]), .data,
        ]))
        #expect(machine.receive(Self.ok) == .send([]))
        #expect(machine.receive(Self.ok) == .send([]))
        #expect(machine.receive(Self.refused) == .send([]))
        #expect(machine.receive(Self.later) == .send([]))
        #expect(machine.phase == .dataCommand)
        #expect(machine.receive(Self.go) == .sendMessage)
        #expect(machine.phase == .endOfData)
        let result = try #require(Self.result(machine.receive(Self.queued)))
        #expect(result.delivered == [Self.rcpts[0]])
        #expect(result.failed.map(\.recipient) == [Self.rcpts[1]])
        #expect(result.failed.first?.error?.response == Self.refused)
        #expect(result.failed.first?.error?.phase == .recipient)
        #expect(result.deferred.map(\.recipient) == [Self.rcpts[2]])
    }

    @Test("without PIPELINING each command waits; DATA only after an accepted recipient")
    func lockStep() throws {
        var machine = Self.machine(recipients: Array(Self.rcpts.prefix(2)), capabilities: Self.capabilities(["8BITMIME": []]))
        #expect(machine.start() == .send([.mail(from: Self.sender, parameters: .init())]))
        #expect(machine.receive(Self.ok) == .send([.recipient(Self.rcpts[0])]))
        #expect(machine.receive(Self.refused) == .send([.recipient(Self.rcpts[1])]))
        #expect(machine.receive(Self.ok) == .send([.data]))
        #expect(machine.receive(Self.go) == .sendMessage)
        let result = try #require(Self.result(machine.receive(Self.queued)))
        #expect(result.delivered == [Self.rcpts[1]])
        #expect(result.failed.map(\.recipient) == [Self.rcpts[0]])
    }

    @Test("without PIPELINING and nobody accepted: no DATA")
    func lockStepNobody() throws {
        var machine = Self.machine(recipients: [Self.rcpts[0]], capabilities: .none)
        _ = machine.start()
        _ = machine.receive(Self.ok)
        let result = try #require(Self.result(machine.receive(Self.refused)))
        #expect(result.failed.count == 1)
    }

    @Test("pipelined, nobody accepted but DATA got 354: only the final dot (RFC 2920)")
    func pipelinedNobodyButData() throws {
        var machine = Self.machine(recipients: [Self.rcpts[0]])
        _ = machine.start()
        _ = machine.receive(Self.ok)
        _ = machine.receive(Self.refused)
        #expect(machine.receive(Self.go) == .sendEmptyMessage)
        let result = try #require(Self.result(machine.receive(SMTPResponse(code: 554, "5.5.1 Error: no valid recipients"))))
        #expect(result.failed.first?.error?.response == Self.refused)
    }

    @Test("MAIL refused: every recipient gets that reply")
    func mailRefused() throws {
        var machine = Self.machine()
        _ = machine.start()
        let bad = SMTPResponse(code: 553, "5.7.1 sender rejected")
        _ = machine.receive(bad)
        for _ in 0..<3 { _ = machine.receive(SMTPResponse(code: 503, "5.5.1 need MAIL")) }
        let result = try #require(Self.result(machine.receive(SMTPResponse(code: 503, "5.5.1 need RCPT"))))
        #expect(result.failed.count == 3)
        #expect(result.failed.allSatisfy { $0.error?.response == bad && $0.error?.phase == .mail })
    }

    @Test("DATA refused, final dot refused: accepted recipients get that reply")
    func dataRefused() throws {
        var machine = Self.machine(recipients: [Self.rcpts[0]])
        _ = machine.start()
        _ = machine.receive(Self.ok)
        _ = machine.receive(Self.ok)
        let result = try #require(Self.result(machine.receive(Self.later)))
        #expect(result.deferred.first?.error?.phase == .dataCommand)

        var afterDot = Self.machine(recipients: [Self.rcpts[0]])
        _ = afterDot.start()
        _ = afterDot.receive(Self.ok)
        _ = afterDot.receive(Self.ok)
        _ = afterDot.receive(Self.go)
        let rejected = try #require(Self.result(afterDot.receive(SMTPResponse(code: 554, "5.7.1 spam"))))
        #expect(rejected.failed.first?.error?.phase == .endOfData)
    }

    @Test("refused before MAIL, permanently: too big, 8-bit without 8BITMIME, UTF-8 address without SMTPUTF8")
    func clientRefusals() throws {
        var tooBig = Self.machine(properties: MessageProperties(size: 5000, hasEightBitBytes: false))
        let big = try #require(Self.result(tooBig.start()))
        #expect(big.failed.count == 3 && big.failed.allSatisfy { $0.error?.code == .messageTooLarge })
        #expect(big.failed.first?.error?.enhancedCode.description == "5.3.4")

        var eightBit = Self.machine(properties: MessageProperties(size: 10, hasEightBitBytes: true), capabilities: .none)
        let noMIME = try #require(Self.result(eightBit.start()))
        #expect(noMIME.failed.first?.error?.code == .eightBitUnsupported)
        #expect(noMIME.failed.first?.error?.isTransient == false)

        var utf8 = Self.machine(recipients: [Self.address("jürgen@example.de")])
        let noUTF8 = try #require(Self.result(utf8.start()))
        #expect(noUTF8.failed.first?.error?.code == .smtpUTF8Unsupported)
    }

    @Test("MAIL parameters: SIZE when offered, BODY=8BITMIME for 8-bit content, SMTPUTF8 for UTF-8 addresses")
    func parameters() {
        let full = Self.capabilities(["PIPELINING": [], "8BITMIME": [], "SIZE": [], "SMTPUTF8": []])
        var machine = Self.machine(
            recipients: [Self.address("jürgen@example.de")],
            properties: MessageProperties(size: 42, hasEightBitBytes: true),
            capabilities: full
        )
        let action = machine.start()
        let mail = SMTPCommand.mail(from: Self.sender, parameters: .init(size: 42, eightBitMIME: true, smtpUTF8: true))
        #expect(action == .send([mail, .recipient(Self.address("jürgen@example.de")), .data]))
        #expect(mail.line == "MAIL FROM:<a@example.com> SIZE=42 BODY=8BITMIME SMTPUTF8")
    }

    @Test("a reply that makes no sense is a protocol violation")
    func violation() {
        var machine = Self.machine()
        _ = machine.start()
        guard case .fail(let error) = machine.receive(SMTPResponse(code: 354, "what")) else {
            Issue.record("expected fail")
            return
        }
        #expect(error.code == .protocolViolation && error.isTransient)
    }
}
