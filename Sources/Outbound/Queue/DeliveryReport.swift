import Foundation

/// A delivery status notification (RFC 3464 style): `multipart/report` with a text part saying
/// which recipients failed and why, a `message/delivery-status` part, and the original message's
/// header section (`text/rfc822-headers`, never the body). Addresses and diagnostics are written
/// with control characters replaced, so a server's reply text cannot add lines or fields.
struct DeliveryReport: Sendable {
    /// One recipient that failed.
    struct FailedRecipient: Sendable {
        var address: String
        var enhancedCode: String?
        var diagnostic: String
    }

    /// The name in `Reporting-MTA` and in the From address's domain.
    var reportingName: String
    /// Who receives the report.
    var recipient: SMTPAddress
    /// The original envelope sender.
    var originalSender: SMTPAddress
    /// The failed recipients.
    var failures: [FailedRecipient]
    /// When the original was queued.
    var arrivalDate: Date
    /// The original header section, as stored.
    var originalHeaders: [UInt8]
    /// The MTA's queue id of the original, when known.
    var originalQueueID: String?
    /// The MIME boundary (injected so tests are stable).
    var boundary: String
    /// The report's date.
    var date: Date

    /// The report as a message (CRLF line ends).
    var message: [UInt8] {
        var text = ""
        func line(_ value: String = "") { text += value + "\r\n" }
        line("From: Mail Delivery System <MAILER-DAEMON@\(reportingName)>")
        line("To: <\(recipient.value)>")
        line("Subject: Undelivered Mail Returned to Sender")
        line("Date: \(Self.rfc5322Date(date))")
        line("Message-ID: <\(boundary)@\(reportingName)>")
        line("Auto-Submitted: auto-replied")
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/report; report-type=delivery-status;")
        line("\tboundary=\"\(boundary)\"")
        line()
        line("This is a MIME-encapsulated message.")
        line()
        line("--\(boundary)")
        line("Content-Description: Notification")
        line("Content-Type: text/plain; charset=utf-8")
        line("Content-Transfer-Encoding: 8bit")
        line()
        line("This is the mail system at host \(reportingName).")
        line()
        line("I'm sorry to have to inform you that your message could not")
        line("be delivered to one or more recipients. It is attached below.")
        line()
        if let originalQueueID { line("Original queue id: \(originalQueueID)") }
        line("Original sender: \(originalSender.bracketed)")
        line()
        for failure in failures {
            line("<\(failure.address.withoutControlCharacters)>: \(failure.diagnostic.withoutControlCharacters)")
        }
        line()
        line("--\(boundary)")
        line("Content-Description: Delivery report")
        line("Content-Type: message/delivery-status")
        line()
        line("Reporting-MTA: dns; \(reportingName)")
        line("Arrival-Date: \(Self.rfc5322Date(arrivalDate))")
        for failure in failures {
            line()
            line("Final-Recipient: rfc822; \(failure.address.withoutControlCharacters)")
            line("Action: failed")
            line("Status: \((failure.enhancedCode ?? "5.0.0").withoutControlCharacters)")
            line("Diagnostic-Code: smtp; \(failure.diagnostic.withoutControlCharacters)")
        }
        line()
        line("--\(boundary)")
        line("Content-Description: Undelivered Message Headers")
        line("Content-Type: text/rfc822-headers")
        if originalHeaders.contains(where: { $0 >= 0x80 }) { line("Content-Transfer-Encoding: 8bit") }
        line()
        var bytes = Array(text.utf8)
        bytes += Self.crlfHeaders(originalHeaders)
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        return bytes
    }

    /// The header section with CRLF line ends and without the blank line that ended it.
    private static func crlfHeaders(_ headers: [UInt8]) -> [UInt8] {
        var lines = headers.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        var out: [UInt8] = []
        for line in lines {
            out += line
            out += [13, 10]
        }
        return out
    }

    /// `Sun, 29 Nov 2026 04:58:36 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
