import Testing
@testable import Outbound

@Suite("SMTP client errors")
struct SMTPClientErrorTests {
    @Test("opportunistic TLS retries in plaintext only after a protocol-level handshake failure", arguments: [
        (SMTPClientError.Code.tlsFailed, SMTPPhase.startTLS, true),
        (.connectionClosed, .startTLS, true),
        (.timeout, .startTLS, true),
        (.tlsConfiguration, .startTLS, false),
        (.protocolViolation, .startTLS, false),
        (.timeout, .hello, false),
        (.connectionClosed, .greeting, false),
        (.rejected, .startTLS, false),
    ])
    func plaintextRetry(code: SMTPClientError.Code, phase: SMTPPhase, allowed: Bool) {
        #expect(SMTPClientError(code, phase: phase, isTransient: true).allowsPlaintextRetry == allowed)
    }

    @Test("a refused session is transient whatever the code, and keeps the reply")
    func refusedSession() {
        let error = SMTPClientError.refusedSession(SMTPResponse(code: 554, "5.3.2 go away"), in: .greeting)
        #expect(error.isTransient && error.code == .rejected && error.response?.code == 554)
        #expect(!SMTPClientError.rejected(SMTPResponse(code: 554, "no"), in: .recipient).isTransient)
    }
}
