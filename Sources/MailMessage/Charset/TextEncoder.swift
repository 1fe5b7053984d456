/// A Swift string to bytes in a charset, strictly: `nil` when a character has no representation.
public enum TextEncoder {
    /// Encodes `text` in `charset`. ISO-2022-JP is written as CP50221 (what Outlook writes, and
    /// what every Japanese client reads): NEC row 13 and the NEC-selected IBM rows are kept.
    public static func encode(_ text: String, charset: MIMECharset) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        switch charset.converter {
        case .ascii:
            return utf8.allSatisfy { $0 < 0x80 } ? utf8 : nil
        case .utf8:
            return utf8
        case .unknown:
            return nil
        case .iso2022JP:
            // Half-width katakana is JIS X 0201, not part of ISO-2022-JP (RFC 1468): such text
            // is written in another charset by the caller.
            if text.unicodeScalars.contains(where: { (0xFF61...0xFF9F).contains($0.value) }) { return nil }
            guard let shiftJIS = Iconv.encodeFromUTF8(utf8, to: "CP932") else { return nil }
            return ISO2022JP.fromShiftJIS(NECSelectedRemap.remapIBMExtensions(shiftJIS))
        case .iconv(let name):
            return Iconv.encodeFromUTF8(utf8, to: name)
        }
    }
}

/// CP932 has most IBM extension characters twice: at 0xFA–0xFC (IBM) and at 0xED–0xEE
/// (NEC-selected, JIS rows 89–92). iconv encodes to the IBM position, which ISO-2022-JP cannot
/// hold; this remaps such pairs to the NEC-selected position. The map is derived once from
/// iconv's own CP932 table by decoding every NEC-selected code.
enum NECSelectedRemap {
    private static let ibmToNEC: [UInt16: UInt16] = {
        var byScalar = [UInt32: UInt16]()
        for lead in UInt8(0xED)...UInt8(0xEE) {
            for trail in UInt8(0x40)...UInt8(0xFC) where trail != 0x7F {
                guard let decoded = Iconv.decodeToUTF8([lead, trail], from: "CP932"), decoded.invalidSequences == 0,
                    let scalar = String(decoding: decoded.bytes, as: UTF8.self).unicodeScalars.first
                else { continue }
                byScalar[scalar.value] = UInt16(lead) << 8 | UInt16(trail)
            }
        }
        var map = [UInt16: UInt16]()
        for (scalar, nec) in byScalar {
            guard let unicode = Unicode.Scalar(scalar),
                let ibm = Iconv.encodeFromUTF8(Array(String(unicode).utf8), to: "CP932"), ibm.count == 2,
                (0xFA...0xFC).contains(ibm[0])
            else { continue }
            map[UInt16(ibm[0]) << 8 | UInt16(ibm[1])] = nec
        }
        return map
    }()

    static func remapIBMExtensions(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(where: { (0xFA...0xFC).contains($0) }) else { return bytes }
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 || (0xA1...0xDF).contains(byte) || index + 1 >= bytes.count {
                output.append(byte)
                index += 1
                continue
            }
            let pair = UInt16(byte) << 8 | UInt16(bytes[index + 1])
            if let nec = ibmToNEC[pair] {
                output.append(UInt8(nec >> 8))
                output.append(UInt8(nec & 0xFF))
            } else {
                output.append(byte)
                output.append(bytes[index + 1])
            }
            index += 2
        }
        return output
    }
}
