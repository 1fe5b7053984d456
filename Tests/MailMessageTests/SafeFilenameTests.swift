import Testing

@testable import MailMessage

@Suite("Safe file names")
struct SafeFilenameTests {
    @Test(
        "hostile names become safe and stay readable",
        arguments: [
            ("../../etc/passwd", "passwd"),
            ("C:\\Windows\\System32\\evil.exe", "evil.exe"),
            ("invoice.pdf\u{0}.exe", "invoice.pdf.exe"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("\u{1B}[31mred\u{7}.txt", "[31mred.txt"),
            ("report\r\nBcc: x@example.net.pdf", "reportBcc_ x@example.net.pdf"),
            ("CON.txt", "_CON.txt"),
            ("nul", "_nul"),
            ("...", "attachment"),
            ("", "attachment"),
            ("見積書 (最終).xlsx", "見積書 (最終).xlsx"),
            ("a<b>c:d|e?f*g\".txt", "a_b_c_d_e_f_g_.txt"),
            (". hidden.txt. ", "hidden.txt"),
        ])
    func sanitising(input: String, expected: String) {
        #expect(SafeFilename.make(input) == expected)
    }

    @Test("long names are cut on a character boundary with the extension kept")
    func longNames() {
        let name = String(repeating: "長い名前", count: 40) + ".xlsx"
        let safe = SafeFilename.make(name)
        #expect(safe.utf8.count <= 255)
        #expect(safe.hasSuffix(".xlsx"))
        #expect(safe.hasPrefix("長い名前"))
        #expect(String(validating: Array(safe.utf8), as: UTF8.self) != nil)
    }

    @Test("reasons")
    func reasons() {
        #expect(SafeFilename.reasons("report.pdf").isEmpty)
        #expect(SafeFilename.reasons("setup.exe").isEmpty)
        #expect(SafeFilename.reasons("../x") == [.pathTraversal])
        #expect(SafeFilename.reasons("invoice\u{202E}fdp.exe") == [.bidiOverride, .executable])
        #expect(SafeFilename.reasons("a\r\nX-Evil: 1") == [.crlf, .headerInjection])
        #expect(SafeFilename.reasons(String(repeating: "a", count: 256)) == [.tooLong])
    }
}
