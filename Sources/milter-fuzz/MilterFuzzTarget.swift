import FuzzSupport
import Milter
import NIOCore

/// Feeds arbitrary bytes through everything that reads input from the wire: the frame decoder,
/// the command and response decoders, the session state machine (with verdicts chosen by the
/// input), the macro store and the reply parser. A crash, hang or sanitizer report is a bug.
/// See docs/fuzzing.md.
enum MilterFuzzTarget {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        var buffer = ByteBuffer(bytes: bytes)
        var decoder = MilterFrameDecoder(maximumFrameLength: 1 << 16)
        let capabilities = MilterCapabilities(noReplyEvents: bytes.first.map { $0 & 1 == 0 ? [] : [.header, .body] } ?? [])
        var machine = MilterSessionStateMachine(capabilities: capabilities)
        var verdictSeed = bytes.count
        while true {
            let frame: MilterFrame?
            do {
                frame = try decoder.decode(buffer: &buffer)
            } catch {
                _ = "\(error)"
                return
            }
            guard let frame else {
                _ = try? decoder.decodeLast(buffer: &buffer, seenEOF: true)
                return
            }
            _ = try? MilterResponse(frame: frame)
            if frame.code == UInt8(ascii: "y") {
                _ = try? SMTPReply(parsing: String(decoding: frame.payload.readableBytesView, as: UTF8.self))
            }
            if frame.code == UInt8(ascii: "D") {
                if case .violation = machine.receiveMacros(frame.payload) { return }
                _ = machine.macros["i"]
                _ = machine.macros.all
                continue
            }
            guard let command = try? MilterCommand(frame: frame) else { return }
            var reencoded = ByteBuffer()
            reencoded.writeMilterCommand(command)
            switch machine.receive(command) {
            case .deliver:
                verdictSeed = verdictSeed &* 31 &+ Int(frame.code)
                let verdicts: [MilterVerdict] = [.continue, .continue, .continue, .skip, .reject, .tempfail, .accept, .discard]
                let verdict = verdicts[abs(verdictSeed % verdicts.count)]
                if let response = machine.completed(verdict).response {
                    var out = ByteBuffer()
                    out.writeMilterResponse(response)
                }
            case .violation, .close:
                return
            case .none, .send, .abort, .restart:
                break
            }
        }
    }
}

/// The per-input callback libFuzzer calls.
@_cdecl("LLVMFuzzerTestOneInput")
public func milterFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    MilterFuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The entry point (in this file: referring to a `@_cdecl` function from another file emits
/// its C symbol twice): libFuzzer's driver when built with `-DFUZZING`, else a replayer of input
/// files and directories (docs/fuzzing.md).
@main
struct MilterFuzz {
    static func main() throws {
        try FuzzEntryPoint.main(name: "milter-fuzz", callback: milterFuzzTestOneInput)
    }
}
