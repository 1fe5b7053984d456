import NIOCore

@testable import Milter

/// `"00 00 00 01 63"` → bytes.
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// Bytes → `"00 00 00 01 63"`.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

func encoded(_ command: MilterCommand) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeMilterCommand(command)
    return Array(buffer.readableBytesView)
}

func encoded(_ response: MilterResponse) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeMilterResponse(response)
    return Array(buffer.readableBytesView)
}

func encoded(_ responses: [MilterResponse]) -> [UInt8] {
    responses.flatMap { encoded($0) }
}

func encoded(_ commands: [MilterCommand]) -> [UInt8] {
    commands.flatMap { encoded($0) }
}

/// Decodes every frame in `bytes` (all of them complete).
func frames(_ bytes: [UInt8]) throws -> [MilterFrame] {
    var buffer = ByteBuffer(bytes: bytes)
    var decoder = MilterFrameDecoder()
    var result: [MilterFrame] = []
    while let frame = try decoder.decode(buffer: &buffer) { result.append(frame) }
    return result
}

func frame(_ code: Character, _ payload: [UInt8]) -> MilterFrame {
    MilterFrame(code: code.asciiValue!, payload: ByteBuffer(bytes: payload))
}

extension Array where Element == UInt8 {
    init(_ string: String, nul: Bool) {
        self = Array(string.utf8) + (nul ? [0] : [])
    }
}
