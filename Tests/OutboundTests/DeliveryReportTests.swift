import Foundation
import Testing
@testable import Outbound

@Suite("Delivery report")
struct DeliveryReportTests {
    @Test("multipart/report with the reasons, a delivery-status part and the original headers only")
    func structure() throws {
        let report = DeliveryReport(
            reportingName: "gw.example.net",
            recipient: try SMTPAddress("a@example.com"),
            originalSender: try SMTPAddress("a@example.com"),
            failures: [
                .init(address: "b@example.org", enhancedCode: "5.1.1", diagnostic: "rejected in RCPT TO: 550 5.1.1 <b@example.org>: unknown"),
                .init(address: "c@example.org", enhancedCode: "4.4.1", diagnostic: "gave up after 5 attempts in 5d 0h: connection failed"),
            ],
            arrivalDate: Date(timeIntervalSince1970: 1_800_000_000),
            originalHeaders: Array("Subject: Grüße\nX-Test: 1\n\n".utf8),
            originalQueueID: "4ABC",
            boundary: "b0undary",
            date: Date(timeIntervalSince1970: 1_800_000_100)
        )
        let text = String(decoding: report.message, as: UTF8.self)
        #expect(text.contains("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"b0undary\"\r\n"))
        #expect(text.contains("\r\n<b@example.org>: rejected in RCPT TO: 550 5.1.1 <b@example.org>: unknown\r\n"))
        #expect(text.contains("\r\nFinal-Recipient: rfc822; c@example.org\r\nAction: failed\r\nStatus: 4.4.1\r\n"))
        #expect(text.contains("Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSubject: Grüße\r\nX-Test: 1\r\n\r\n--b0undary--\r\n"))
        #expect(text.contains("Date: Fri, 15 Jan 2027 08:01:40 +0000\r\n"))
        #expect(text.contains("Auto-Submitted: auto-replied"))
        #expect(!text.contains("\n\n"), "CRLF line ends only")
        #expect(text.components(separatedBy: "--b0undary\r\n").count == 4, "three parts")
    }

    @Test("a diagnostic with a bare CR or LF cannot add header fields or lines to the report")
    func injection() throws {
        let report = DeliveryReport(
            reportingName: "gw.example.net",
            recipient: try SMTPAddress("a@example.com"),
            originalSender: try SMTPAddress("a@example.com"),
            failures: [.init(address: "b@example.org", enhancedCode: "5.1.1", diagnostic: "550 no\rX-Injected: yes\nAction: delivered")],
            arrivalDate: Date(timeIntervalSince1970: 1_800_000_000),
            originalHeaders: Array("Subject: x\n\n".utf8),
            originalQueueID: nil,
            boundary: "b0undary",
            date: Date(timeIntervalSince1970: 1_800_000_100)
        )
        let text = String(decoding: report.message, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(!lines.contains { $0.hasPrefix("X-Injected") || $0.hasPrefix("Action: delivered") })
        #expect(text.contains("Diagnostic-Code: smtp; 550 no?X-Injected: yes?Action: delivered\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains { $0 == "\r" || $0 == "\n" }, "only CRLF line ends")
    }
}
