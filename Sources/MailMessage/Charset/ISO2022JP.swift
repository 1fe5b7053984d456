/// ISO-2022-JP as mail really uses it (Microsoft CP50221: NEC row 13 and the NEC-selected IBM
/// rows 89–92 inside `ESC $ B`, half-width katakana after `ESC ( I`).
///
/// glibc has no CP50221, and its strict ISO-2022-JP refuses those rows. JIS X 0208 row/cell
/// numbers map to Shift_JIS by arithmetic, so decoding transcodes to Shift_JIS bytes and lets
/// iconv's CP932 table do the rest; encoding goes the other way. No mapping table is written here.
enum ISO2022JP {
    /// The result of transcoding to Shift_JIS.
    struct ShiftJISResult {
        var bytes: [UInt8]
        /// Characters from rows only CP50221 has (NEC row 13, rows 89–92).
        var usesMicrosoftRows: Bool
        /// Escape sequences for sets Shift_JIS cannot hold (JIS X 0212, GB 2312, KS C 5601, …):
        /// the text needs a full ISO-2022-JP-2 converter.
        var needsISO2022JP2: Bool
        /// Bytes that fit no state (reported, kept as `?`).
        var invalidBytes: Int
    }

    private enum Mode { case ascii, roman, kanji, katakana }

    /// Transcodes ISO-2022-JP (CP50221) bytes to CP932 bytes.
    static func toShiftJIS(_ input: [UInt8]) -> ShiftJISResult {
        var result = ShiftJISResult(bytes: [], usesMicrosoftRows: false, needsISO2022JP2: false, invalidBytes: 0)
        result.bytes.reserveCapacity(input.count)
        var mode = Mode.ascii
        var index = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            if byte == 0x1B {
                if let (newMode, length) = escape(input, at: index) {
                    mode = newMode
                    index += length
                    continue
                }
                if index + 2 < count, input[index + 1] == 0x24 || input[index + 1] == 0x2E || input[index + 1] == 0x4E {
                    result.needsISO2022JP2 = true
                }
                result.bytes.append(byte)
                index += 1
                continue
            }
            if byte == 0x0E || byte == 0x0F {  // SO / SI (CP50222 katakana shifts)
                mode = byte == 0x0E ? .katakana : .ascii
                index += 1
                continue
            }
            if byte == 0x0A || byte == 0x0D {
                // Line ends reset nothing formally, but senders that forget ESC ( B before a line
                // end are common; stay in the mode as CP50221 does.
                result.bytes.append(byte)
                index += 1
                continue
            }
            switch mode {
            case .ascii, .roman:
                result.bytes.append(byte)
                index += 1
            case .katakana:
                if byte >= 0x21 && byte <= 0x5F {
                    result.bytes.append(byte + 0x80)
                } else {
                    result.bytes.append(byte)
                }
                index += 1
            case .kanji:
                guard index + 1 < count else {
                    result.invalidBytes += 1
                    result.bytes.append(0x3F)
                    index += 1
                    continue
                }
                let row = byte
                let cell = input[index + 1]
                guard (0x21...0x7E).contains(row), (0x21...0x7E).contains(cell) else {
                    result.bytes.append(byte)
                    index += 1
                    continue
                }
                if row == 0x2D || (0x79...0x7C).contains(row) { result.usesMicrosoftRows = true }
                let (lead, trail) = jisToShiftJIS(row: row, cell: cell)
                result.bytes.append(lead)
                result.bytes.append(trail)
                index += 2
            }
        }
        return result
    }

    /// Recognised escape sequences and their length.
    private static func escape(_ input: [UInt8], at index: Int) -> (Mode, Int)? {
        guard index + 2 < input.count else { return nil }
        let first = input[index + 1]
        let second = input[index + 2]
        switch (first, second) {
        case (0x28, 0x42): return (.ascii, 3)  // ESC ( B
        case (0x28, 0x4A): return (.roman, 3)  // ESC ( J
        case (0x28, 0x49): return (.katakana, 3)  // ESC ( I
        case (0x24, 0x42), (0x24, 0x40): return (.kanji, 3)  // ESC $ B, ESC $ @
        case (0x26, 0x40):  // ESC & @ ESC $ B (JIS X 0208-1990)
            if index + 5 < input.count, input[index + 3] == 0x1B, input[index + 4] == 0x24, input[index + 5] == 0x42 {
                return (.kanji, 6)
            }
            return nil
        default: return nil
        }
    }

    /// JIS X 0208 row/cell (0x21–0x7E each) to a Shift_JIS byte pair.
    static func jisToShiftJIS(row: UInt8, cell: UInt8) -> (UInt8, UInt8) {
        let r = Int(row) - 0x21
        let c = Int(cell) - 0x21
        var lead = r / 2 + 0x81
        if lead > 0x9F { lead += 0x40 }
        let trail: Int
        if r % 2 == 0 {
            trail = c + 0x40 + (c >= 0x3F ? 1 : 0)
        } else {
            trail = c + 0x9F
        }
        return (UInt8(lead), UInt8(trail))
    }

    /// A Shift_JIS double-byte pair to JIS row/cell, or `nil` outside the JIS-mappable range.
    static func shiftJISToJIS(lead: UInt8, trail: UInt8) -> (UInt8, UInt8)? {
        var l = Int(lead)
        let t = Int(trail)
        guard (0x81...0x9F).contains(l) || (0xE0...0xEF).contains(l) else { return nil }
        guard (0x40...0xFC).contains(t), t != 0x7F else { return nil }
        if l >= 0xE0 { l -= 0x40 }
        var row = (l - 0x81) * 2
        var cell: Int
        if t >= 0x9F {
            row += 1
            cell = t - 0x9F
        } else {
            cell = t - 0x40 - (t > 0x7F ? 1 : 0)
        }
        row += 0x21
        cell += 0x21
        return (UInt8(row), UInt8(cell))
    }

    /// Encodes CP932 bytes as ISO-2022-JP (CP50221 flavour): ASCII, `ESC $ B` runs and
    /// `ESC ( I` for half-width katakana, ending in ASCII. Returns `nil` for bytes that have no
    /// JIS position (IBM extensions 0xFA–0xFC must be remapped by the caller first).
    static func fromShiftJIS(_ input: [UInt8]) -> [UInt8]? {
        var output = [UInt8]()
        output.reserveCapacity(input.count + 16)
        var mode = Mode.ascii
        func switchTo(_ target: Mode) {
            guard mode != target else { return }
            switch target {
            case .ascii, .roman: output += [0x1B, 0x28, 0x42]
            case .kanji: output += [0x1B, 0x24, 0x42]
            case .katakana: output += [0x1B, 0x28, 0x49]
            }
            mode = target
        }
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte < 0x80 {
                switchTo(.ascii)
                output.append(byte)
                index += 1
            } else if (0xA1...0xDF).contains(byte) {
                // CP50221 writes half-width katakana after ESC ( I (TextEncoder refuses it first).
                switchTo(.katakana)
                output.append(byte - 0x80)
                index += 1
            } else {
                guard index + 1 < input.count, let (row, cell) = shiftJISToJIS(lead: byte, trail: input[index + 1]) else {
                    return nil
                }
                switchTo(.kanji)
                output.append(row)
                output.append(cell)
                index += 2
            }
        }
        switchTo(.ascii)
        return output
    }
}
