import Foundation
import Outbound
import Testing

@Suite("Handshake state machine")
struct HandshakeStateMachineTests {
    typealias Action = SMTPHandshakeStateMachine.Action

    static func reply(_ code: Int, _ lines: String...) -> SMTPResponse { SMTPResponse(code: code, lines: lines) }
    static let ehloPlain = reply(250, "relay.test", "PIPELINING", "8BITMIME")
    static let ehloTLS = reply(250, "relay.test", "PIPELINING", "STARTTLS")
    static let ehloAuth = reply(250, "relay.test", "AUTH PLAIN LOGIN")

    static func machine(
        tls: StartTLSMode = .none,
        credentials: SMTPCredentials? = nil,
        plaintextAuth: Bool = false
    ) -> SMTPHandshakeStateMachine {
        SMTPHandshakeStateMachine(heloName: "client.test", startTLS: tls, credentials: credentials, allowsPlaintextAuthentication: plaintextAuth)
    }

    @Test("greeting, EHLO, ready")
    func plain() {
        var machine = Self.machine()
        #expect(machine.phase == .greeting)
        #expect(machine.receive(Self.reply(220, "relay.test ESMTP")) == .send(.ehlo("client.test")))
        #expect(machine.phase == .hello)
        #expect(machine.receive(Self.ehloPlain) == .ready(SMTPCapabilities(ehloResponse: Self.ehloPlain)))
    }

    @Test("EHLO refused with 5xx: HELO, no extensions")
    func heloFallback() {
        var machine = Self.machine()
        _ = machine.receive(Self.reply(220, "old"))
        #expect(machine.receive(Self.reply(502, "5.5.2 Error: command not recognized")) == .send(.helo("client.test")))
        #expect(machine.receive(Self.reply(250, "old.test")) == .ready(.none))
    }

    @Test("refusals of the greeting, HELO and EHLO after TLS carry the reply and are transient, 5xx too (the session, not the recipients)")
    func refusals() throws {
        var machine = Self.machine()
        guard case .fail(let error) = machine.receive(Self.reply(554, "5.3.2 go away")) else { Issue.record("expected fail"); return }
        #expect(error.code == .rejected && error.phase == .greeting && error.isTransient && error.response?.code == 554)
        machine = Self.machine()
        _ = machine.receive(Self.reply(220, "x"))
        guard case .fail(let busy) = machine.receive(Self.reply(421, "4.3.2 busy")) else { Issue.record("expected fail"); return }
        #expect(busy.isTransient && busy.response?.code == 421)
        machine = Self.machine()
        _ = machine.receive(Self.reply(220, "x"))
        _ = machine.receive(Self.reply(502, "5.5.2 no EHLO"))
        guard case .fail(let helo) = machine.receive(Self.reply(550, "5.7.1 no HELO either")) else { Issue.record("expected fail"); return }
        #expect(helo.phase == .hello && helo.isTransient && helo.response?.code == 550)
        machine = Self.machine(tls: .required)
        _ = machine.receive(Self.reply(220, "x"))
        _ = machine.receive(Self.ehloTLS)
        _ = machine.receive(Self.reply(220, "go"))
        _ = machine.tlsEstablished()
        guard case .fail(let afterTLS) = machine.receive(Self.reply(554, "5.7.0 not you")) else { Issue.record("expected fail"); return }
        #expect(afterTLS.phase == .hello && afterTLS.isTransient && afterTLS.response?.code == 554)
        machine = Self.machine()
        guard case .fail(let odd) = machine.receive(Self.reply(250, "no greeting")) else { Issue.record("expected fail"); return }
        #expect(odd.code == .protocolViolation)
    }

    @Test("STARTTLS: EHLO, STARTTLS, handshake, EHLO again")
    func startTLS() {
        var machine = Self.machine(tls: .required)
        _ = machine.receive(Self.reply(220, "x"))
        #expect(machine.receive(Self.ehloTLS) == .send(.startTLS))
        #expect(machine.phase == .startTLS)
        #expect(machine.receive(Self.reply(220, "2.0.0 Ready to start TLS")) == .startTLS)
        #expect(machine.tlsEstablished() == .send(.ehlo("client.test")))
        #expect(machine.isEncrypted)
        #expect(machine.receive(Self.ehloTLS) == .ready(SMTPCapabilities(ehloResponse: Self.ehloTLS)))
    }

    @Test("required TLS without STARTTLS, or refused, fails transiently; opportunistic goes on")
    func tlsUnavailable() {
        var required = Self.machine(tls: .required)
        _ = required.receive(Self.reply(220, "x"))
        guard case .fail(let error) = required.receive(Self.ehloPlain) else { Issue.record("expected fail"); return }
        #expect(error.code == .tlsUnavailable && error.isTransient)

        var refused = Self.machine(tls: .required)
        _ = refused.receive(Self.reply(220, "x"))
        _ = refused.receive(Self.ehloTLS)
        guard case .fail(let refusal) = refused.receive(Self.reply(454, "4.7.0 TLS not available")) else { Issue.record("expected fail"); return }
        #expect(refusal.code == .tlsUnavailable && refusal.response?.code == 454)

        var opportunistic = Self.machine(tls: .opportunistic)
        _ = opportunistic.receive(Self.reply(220, "x"))
        #expect(opportunistic.receive(Self.ehloPlain) == .ready(SMTPCapabilities(ehloResponse: Self.ehloPlain)))
        var opportunisticRefused = Self.machine(tls: .opportunistic)
        _ = opportunisticRefused.receive(Self.reply(220, "x"))
        _ = opportunisticRefused.receive(Self.ehloTLS)
        #expect(opportunisticRefused.receive(Self.reply(454, "no")) == .ready(SMTPCapabilities(ehloResponse: Self.ehloTLS)))
    }

    @Test("AUTH is never sent in plaintext unless allowed")
    func authNeedsTLS() {
        var machine = Self.machine(credentials: SMTPCredentials(username: "u", password: "p"))
        _ = machine.receive(Self.reply(220, "x"))
        guard case .fail(let error) = machine.receive(Self.ehloAuth) else { Issue.record("expected fail"); return }
        #expect(error.code == .authenticationRequiresTLS)
        #expect(!error.description.contains("p\u{0}"))
    }

    @Test("AUTH PLAIN with an initial response")
    func authPlain() {
        var machine = Self.machine(credentials: SMTPCredentials(username: "user", password: "secret"), plaintextAuth: true)
        _ = machine.receive(Self.reply(220, "x"))
        let token = Data("\u{0}user\u{0}secret".utf8).base64EncodedString()
        let action = machine.receive(Self.ehloAuth)
        #expect(action == .send(.authenticate(mechanism: "PLAIN", initialResponse: token)))
        if case .send(let command) = action {
            #expect(command.description == "AUTH PLAIN ***", "logs never show the secret")
        }
        #expect(machine.receive(Self.reply(235, "2.7.0 Authentication successful")) == .ready(SMTPCapabilities(ehloResponse: Self.ehloAuth)))
    }

    @Test("AUTH LOGIN: user name and password answer the challenges")
    func authLogin() {
        var machine = Self.machine(credentials: SMTPCredentials(username: "user", password: "secret"), plaintextAuth: true)
        let ehlo = Self.reply(250, "relay.test", "AUTH LOGIN")
        _ = machine.receive(Self.reply(220, "x"))
        #expect(machine.receive(ehlo) == .send(.authenticate(mechanism: "LOGIN", initialResponse: nil)))
        #expect(machine.receive(Self.reply(334, "VXNlcm5hbWU6")) == .send(.authenticationResponse("dXNlcg==")))
        #expect(machine.receive(Self.reply(334, "UGFzc3dvcmQ6")) == .send(.authenticationResponse("c2VjcmV0")))
        #expect(machine.receive(Self.reply(235, "ok")) == .ready(SMTPCapabilities(ehloResponse: ehlo)))
    }

    @Test("AUTH refused, or no known mechanism")
    func authFailures() {
        var refused = Self.machine(credentials: SMTPCredentials(username: "u", password: "p"), plaintextAuth: true)
        _ = refused.receive(Self.reply(220, "x"))
        _ = refused.receive(Self.ehloAuth)
        guard case .fail(let error) = refused.receive(Self.reply(535, "5.7.8 Authentication failed")) else { Issue.record("expected fail"); return }
        #expect(error.code == .authenticationFailed && error.response?.code == 535)

        var unknown = Self.machine(credentials: SMTPCredentials(username: "u", password: "p"), plaintextAuth: true)
        _ = unknown.receive(Self.reply(220, "x"))
        guard case .fail(let missing) = unknown.receive(Self.reply(250, "relay.test", "AUTH GSSAPI")) else { Issue.record("expected fail"); return }
        #expect(missing.code == .authenticationUnavailable)
    }
}
