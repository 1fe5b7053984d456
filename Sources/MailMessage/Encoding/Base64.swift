/// Base64 (RFC 2045 §6.8), decoded leniently and incrementally: whitespace and characters outside
/// the alphabet are skipped (and counted), missing padding is accepted, `=` in the middle of the
/// data ends one group and decoding continues (concatenated blocks).
public struct Base64Decoder: Sendable {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        for byte in [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")] {
            table[Int(byte)] = 0xFE
        }
        table[Int(UInt8(ascii: "="))] = 0xFD
        return table
    }()

    private var accumulator: UInt32 = 0
    private var pending = 0
    /// Characters outside the alphabet that were skipped (whitespace does not count).
    public private(set) var invalidCharacters = 0
    /// Whether the data ended with a group that lacked its `=` padding.
    public private(set) var missingPadding = false
    /// Whether a lone sextet was dropped (6 bits cannot make a byte).
    public private(set) var danglingBits = false
    private var sawPadding = false

    public init() {}

    /// Decodes the next piece of input, appending bytes to `output`.
    public mutating func decode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + input.count * 3 / 4 + 3)
        Self.table.withUnsafeBufferPointer { table in
            var accumulator = self.accumulator
            var pending = self.pending
            for byte in input {
                let value = table[Int(byte)]
                if value < 64 {
                    accumulator = accumulator << 6 | UInt32(value)
                    pending += 1
                    if pending == 4 {
                        output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                        output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                        output.append(UInt8(truncatingIfNeeded: accumulator))
                        pending = 0
                        accumulator = 0
                    }
                } else if value == 0xFE {
                    continue
                } else if value == 0xFD {
                    sawPadding = true
                    Self.flush(&accumulator, &pending, into: &output, dangling: &danglingBits)
                } else {
                    invalidCharacters += 1
                }
            }
            self.accumulator = accumulator
            self.pending = pending
        }
    }

    /// Decodes a byte collection.
    public mutating func decode(_ input: some Collection<UInt8>, into output: inout [UInt8]) {
        if let done: Void = input.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0), into: &output) }) {
            return done
        }
        let array = Array(input)
        array.withUnsafeBytes { decode($0, into: &output) }
    }

    /// Ends the input: a final group without padding is decoded.
    public mutating func finish(into output: inout [UInt8]) {
        if pending != 0 { missingPadding = true }
        Self.flush(&accumulator, &pending, into: &output, dangling: &danglingBits)
    }

    /// Whether the input was not clean base64 (for the `invalid_base64` warning).
    public var wasInvalid: Bool { invalidCharacters > 0 || missingPadding || danglingBits }

    private static func flush(_ accumulator: inout UInt32, _ pending: inout Int, into output: inout [UInt8], dangling: inout Bool) {
        switch pending {
        case 2:
            output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        case 1:
            dangling = true
        default:
            break
        }
        accumulator = 0
        pending = 0
    }

    /// Decodes a whole value at once.
    public static func decode(_ input: some Collection<UInt8>) -> [UInt8] {
        var decoder = Base64Decoder()
        var output = [UInt8]()
        decoder.decode(input, into: &output)
        decoder.finish(into: &output)
        return output
    }
}

/// Base64 encoding with CRLF line breaks every `lineLength` characters (76 for MIME bodies).
public enum Base64Encoder {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes `input`; `lineLength` 0 means one unbroken line.
    public static func encode(_ input: some Collection<UInt8>, lineLength: Int = 76, lineEnding: [UInt8] = [13, 10]) -> [UInt8] {
        let bytes = Array(input)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 4 / 3 + bytes.count / 50 + 8)
        var column = 0
        var index = 0
        func emit(_ byte: UInt8) {
            if lineLength > 0 && column == lineLength {
                output.append(contentsOf: lineEnding)
                column = 0
            }
            output.append(byte)
            column += 1
        }
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            emit(alphabet[Int(value >> 18 & 63)])
            emit(alphabet[Int(value >> 12 & 63)])
            emit(alphabet[Int(value >> 6 & 63)])
            emit(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            emit(alphabet[Int(value >> 18 & 63)])
            emit(alphabet[Int(value >> 12 & 63)])
            emit(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            emit(UInt8(ascii: "="))
        }
        if lineLength > 0 && !output.isEmpty { output.append(contentsOf: lineEnding) }
        return output
    }
}
