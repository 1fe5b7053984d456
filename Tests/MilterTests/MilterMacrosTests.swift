import NIOCore
import Testing

@testable import Milter

@Suite("Macros")
struct MilterMacrosTests {
    @Test("lookups search from the newest stage back; braces are optional")
    func lookup() {
        var macros = MilterMacros()
        macros.set(.connect, [MilterMacro(name: "j", value: "mx"), MilterMacro(name: "{daemon_name}", value: "smtpd")])
        macros.set(.mail, [MilterMacro(name: "{auth_authen}", value: "alice"), MilterMacro(name: "i", value: "OLD")])
        macros.set(.endOfMessage, [MilterMacro(name: "{i}", value: "NEW")])
        #expect(macros["j"] == "mx" && macros["{j}"] == "mx")
        #expect(macros["daemon_name"] == "smtpd")
        #expect(macros.queueID == "NEW")
        #expect(macros["missing"] == nil)
        #expect(macros.all.map(\.name) == ["{i}", "{auth_authen}", "j", "{daemon_name}"])
    }

    @Test("a command drops later stages; an abort drops the message's; QUIT_NC drops all")
    func lifetimes() {
        var macros = MilterMacros()
        macros.set(.connect, [MilterMacro(name: "j", value: "mx")])
        macros.set(.mail, [MilterMacro(name: "m", value: "1")])
        macros.set(.recipient, [MilterMacro(name: "r", value: "2")])
        macros.set(.endOfMessage, [MilterMacro(name: "e", value: "3")])
        macros.clear(after: .mail)
        #expect(macros["m"] == "1" && macros["r"] == nil && macros["e"] == nil)
        macros.set(MilterCommandCode(rawValue: UInt8(ascii: "U")), [MilterMacro(name: "u", value: "4")])
        macros.clearMessage()
        #expect(macros["m"] == nil && macros["j"] == "mx" && macros["u"] == "4")
        macros.removeAll()
        #expect(macros.all.isEmpty)
    }

    @Test("thousands of replacements keep the arena small and every value right")
    func compaction() {
        var macros = MilterMacros()
        let stages: [MilterCommandCode] = [.connect, .mail, .recipient, .header, .body, .endOfMessage]
        for round in 0..<5000 {
            let stage = stages[round % stages.count]
            macros.set(stage, [MilterMacro(name: "v\(round % stages.count)", value: String(repeating: "x", count: round % 300) + "\(round)")])
            let expected = String(repeating: "x", count: round % 300) + "\(round)"
            #expect(macros["v\(round % stages.count)"] == expected)
        }
        var copy = MilterMacros()
        for stage in macros.stages {
            copy.set(MilterCommandCode(rawValue: stage.code), macros.macros(for: MilterCommandCode(rawValue: stage.code)))
        }
        #expect(copy == macros)
        #expect(copy.hashValue == macros.hashValue)
    }

    @Test("an odd list (name without value) gives an empty value")
    func oddList() {
        var macros = MilterMacros()
        macros.set(.recipient, pairs: ByteBuffer(bytes: Array("{rcpt_addr}".utf8) + [0]))
        #expect(macros["rcpt_addr"] == "")
    }
}
