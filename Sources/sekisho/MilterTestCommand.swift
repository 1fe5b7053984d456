import ArgumentParser
import Foundation
import Milter
import NIOCore

/// `sekisho milter-test`: sends one .eml through a milter as Postfix would and prints every reply
/// and modification (what OpenDKIM's `miltertest` does, from a message file).
struct MilterTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "milter-test",
        abstract: "Send a message file through a milter and print every reply and modification.",
        discussion: """
            Exit status: 0 when the milter lets the message through (continue/accept), 1 when it \
            rejects, tempfails or discards it, 2 on a protocol or connection error.
            Macros: --macro NAME=VALUE applies at connect; STAGE:NAME=VALUE at connect, helo, mail, \
            rcpt, data, eoh or eom. Postfix's default macros (j, {daemon_name}, v, i, …) are sent \
            unless --no-default-macros.
            """
    )

    @OptionGroup var connection: MilterSpecOptions

    @Argument(help: "The message (RFC 5322, CRLF or LF line ends); - for standard input.")
    var message: String

    @Option(help: "Envelope sender (default: the From: address).")
    var from: String?

    @Option(help: "Envelope recipient, repeatable (default: the To: and Cc: addresses).")
    var rcpt: [String] = []

    @Option(help: "Macro [STAGE:]NAME=VALUE, repeatable.")
    var macro: [String] = []

    @Flag(help: "Do not send Postfix's default macros.")
    var noDefaultMacros = false

    @Option(help: "Client host name for CONNECT.")
    var clientName = "client.example.net"

    @Option(help: "Client address for CONNECT (IPv4 or IPv6; 'unix' or 'unknown' for those families).")
    var clientAddress = "203.0.113.7"

    @Option(help: "Client port for CONNECT.")
    var clientPort: UInt16 = 50_000

    @Option(help: "HELO name.")
    var helo = "client.example.net"

    @Flag(help: "Also print the message as it would be delivered after the modifications.")
    var printMessage = false

    func run() async throws {
        let bytes = try readMessage()
        let headers = MilterTransaction(message: bytes, sender: EnvelopeAddress(raw: "<>"), recipients: []).headers
        let sender = from ?? addresses(in: headers, named: ["from"]).first ?? "sender@example.com"
        let recipients = rcpt.isEmpty ? addresses(in: headers, named: ["to", "cc"]) : rcpt
        guard !recipients.isEmpty else {
            throw ValidationError("no recipient: give --rcpt or a To:/Cc: header")
        }
        let macros = try MacroPlan(arguments: macro, defaults: !noDefaultMacros)
        let transaction = MilterTransaction(
            message: bytes,
            sender: EnvelopeAddress(raw: bracketed(sender)),
            recipients: recipients.map { EnvelopeAddress(raw: bracketed($0)) },
            macros: macros.messageStages
        )
        let printer = ReplyPrinter()
        let code: Int32
        do {
            code = try await MilterClient.withSession(to: try connection.address(), configuration: connection.clientConfiguration()) {
                session in
                printer.negotiation(session.negotiated)
                let connect = try await session.connect(
                    hostname: clientName,
                    address: connectAddress(),
                    macros: macros.stages[.connect]
                )
                printer.step("connect \(clientName) [\(clientAddress)]", connect)
                guard connect.continues else { return printer.outcome(connect.response, at: "connect") }
                let heloReply = try await session.helo(helo, macros: macros.stages[.helo])
                printer.step("helo \(helo)", heloReply)
                guard heloReply.continues else { return printer.outcome(heloReply.response, at: "helo") }
                let result = try await session.send(transaction)
                for step in result.steps {
                    printer.step(step.name, step.reply)
                }
                if printMessage, result.decision == .continue || result.decision == .accept {
                    let delivered = transaction.applying(result.modifications)
                    print("--- message as delivered (sender \(delivered.sender.raw), recipients \(delivered.recipients.map(\.raw).joined(separator: " "))) ---")
                    print(String(decoding: delivered.messageBytes.readableBytesView, as: UTF8.self), terminator: "")
                    print("--- end ---")
                }
                return printer.outcome(result.decision, at: result.decidedAt, quarantine: result.quarantineReason)
            }
        } catch {
            print("error: \(error)")
            throw ExitCode(2)
        }
        if code != 0 { throw ExitCode(code) }
    }

    private func readMessage() throws -> [UInt8] {
        if message == "-" {
            return Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let data = FileManager.default.contents(atPath: message) else {
            throw ValidationError("cannot read \(message)")
        }
        return Array(data)
    }

    private func connectAddress() -> ConnectAddress {
        switch clientAddress {
        case "unknown": .unknown
        case "unix": .unix(path: "/var/run/client")
        default: clientAddress.contains(":") ? .inet6(address: clientAddress, port: clientPort) : .inet(address: clientAddress, port: clientPort)
        }
    }
}

/// Macro values per stage: Postfix's defaults plus the user's.
struct MacroPlan {
    var stages: [MilterCommandCode: [MilterMacro]] = [:]

    init(arguments: [String], defaults: Bool) throws {
        if defaults {
            let queueID = "SEKISHOTEST1"
            stages[.connect] = [
                MilterMacro(name: "j", value: "mx.sekisho.test"),
                MilterMacro(name: "{daemon_name}", value: "mx.sekisho.test"),
                MilterMacro(name: "{daemon_addr}", value: "127.0.0.1"),
                MilterMacro(name: "v", value: "Postfix 3.7.11"),
                MilterMacro(name: "_", value: "client.example.net [203.0.113.7]"),
            ]
            stages[.helo] = []
            stages[.mail] = [MilterMacro(name: "{mail_addr}", value: "")]
            stages[.recipient] = [MilterMacro(name: "i", value: queueID)]
            stages[.data] = [MilterMacro(name: "i", value: queueID)]
            stages[.endOfHeaders] = [MilterMacro(name: "i", value: queueID)]
            stages[.endOfMessage] = [MilterMacro(name: "i", value: queueID)]
        }
        for argument in arguments {
            var text = Substring(argument)
            var stage = MilterCommandCode.connect
            if let colon = text.firstIndex(of: ":"), let equals = text.firstIndex(of: "="), colon < equals {
                guard let code = Self.stageNames[String(text[..<colon]).lowercased()] else {
                    throw ValidationError("unknown macro stage in \(argument) (connect, helo, mail, rcpt, data, eoh, eom)")
                }
                stage = code
                text = text[text.index(after: colon)...]
            }
            guard let equals = text.firstIndex(of: "="), equals > text.startIndex else {
                throw ValidationError("macro \(argument) is not NAME=VALUE")
            }
            let name = String(text[..<equals])
            let value = String(text[text.index(after: equals)...])
            stages[stage, default: []].removeAll { MilterMacros.normalizedName($0.name) == MilterMacros.normalizedName(name) }
            stages[stage, default: []].append(MilterMacro(name: name, value: value))
        }
    }

    static let stageNames: [String: MilterCommandCode] = [
        "connect": .connect, "helo": .helo, "mail": .mail, "rcpt": .recipient, "data": .data,
        "eoh": .endOfHeaders, "eom": .endOfMessage,
    ]

    var messageStages: [MilterCommandCode: [MilterMacro]] {
        stages.filter { $0.key != .connect && $0.key != .helo }
    }
}

/// Prints replies in a stable, greppable form.
final class ReplyPrinter {
    func negotiation(_ options: NegotiatedOptions) {
        print("negotiate: version \(options.version), actions \(options.actions), protocol \(options.protocolOptions)")
        for request in options.macroRequests {
            print("  macros \(request.stage): \(request.names.joined(separator: " "))")
        }
    }

    func step(_ name: String, _ reply: MilterClientReply) {
        for response in reply.interim {
            if !isModification(response) { print("  \(describe(response))") }
        }
        switch reply.disposition {
        case .replied(let response): print("\(name): \(describe(response))")
        case .notSent: print("\(name): (not sent: filter asked for SMFIP_NO*)")
        case .noReplyExpected: print("\(name): (no reply: filter asked for SMFIP_NR_*)")
        case .suppressed: print("\(name): (not sent: already decided or skipped)")
        }
        for response in reply.interim where isModification(response) {
            print("  \(describe(response))")
        }
    }

    func outcome(_ response: MilterResponse?, at stage: String, quarantine: String? = nil) -> Int32 {
        if let quarantine { print("quarantine: \(quarantine)") }
        switch response {
        case .continue?, .accept?, nil:
            print("result: accepted (decided at \(stage))")
            return 0
        case .reject?: print("result: rejected at \(stage)")
        case .tempfail?: print("result: tempfailed at \(stage)")
        case .discard?: print("result: discarded at \(stage)")
        case .shutdown?: print("result: shutdown (421) at \(stage)")
        case .replyCode(let text)?: print("result: \(text.hasPrefix("4") ? "tempfailed" : "rejected") at \(stage): \(text)")
        case let other?: print("result: \(describe(other)) at \(stage)")
        }
        return 1
    }

    private func isModification(_ response: MilterResponse) -> Bool {
        response.requiredAction != nil
    }

    func describe(_ response: MilterResponse) -> String {
        switch response {
        case .continue: "continue"
        case .accept: "accept"
        case .reject: "reject"
        case .tempfail: "tempfail"
        case .discard: "discard"
        case .skip: "skip"
        case .shutdown: "shutdown"
        case .connectionFailure: "connection failure"
        case .progress: "progress"
        case .replyCode(let text): "reply \(text.replacingOccurrences(of: "\r\n", with: " | "))"
        case .quarantine(let reason): "quarantine \(reason)"
        case .addHeader(let name, let value): "add header \(name): \(value)"
        case .insertHeader(let index, let name, let value): "insert header at \(index) \(name): \(value)"
        case .changeHeader(let index, let name, let value):
            value.isEmpty ? "delete header \(name)[\(index)]" : "change header \(name)[\(index)]: \(value)"
        case .addRecipient(let recipient): "add recipient \(recipient)"
        case .addRecipientWithParameters(let recipient, let parameters):
            "add recipient \(recipient) \(parameters ?? "")"
        case .deleteRecipient(let recipient): "delete recipient \(recipient)"
        case .changeSender(let sender, let parameters): "change sender \(sender) \(parameters ?? "")"
        case .replaceBody(let chunk): "replace body chunk (\(chunk.readableBytes) bytes)"
        case .optionNegotiation: "option negotiation"
        case .setSymbolList(let request): "set symbol list \(request.stage)"
        }
    }
}

func bracketed(_ address: String) -> String {
    address.hasPrefix("<") ? address : "<\(address)>"
}

/// Addresses from the named headers (angle-bracket contents, else bare address tokens).
func addresses(in headers: [HeaderField], named names: Set<String>) -> [String] {
    var result: [String] = []
    for field in headers where names.contains(field.name.lowercased()) {
        let value = field.value
        var remaining = Substring(value)
        var found = false
        while let open = remaining.firstIndex(of: "<"), let close = remaining[open...].firstIndex(of: ">") {
            result.append(String(remaining[remaining.index(after: open)..<close]))
            remaining = remaining[remaining.index(after: close)...]
            found = true
        }
        if !found {
            for token in value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" })
            where token.contains("@") {
                result.append(String(token))
            }
        }
    }
    return result
}
