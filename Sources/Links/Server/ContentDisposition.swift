/// The `Content-Disposition` header of a download (RFC 6266 with RFC 8187's `filename*`).
public enum ContentDisposition {
    /// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded UTF-8>`.
    public static func attachment(fileName: String) -> String {
        "attachment; filename=\"\(asciiFallback(fileName))\"; filename*=UTF-8''\(percentEncoded(fileName))"
    }

    /// The name with every character outside printable ASCII, and `"`, `\`, `%`, `/`, replaced
    /// by `_` (for clients that ignore `filename*`).
    static func asciiFallback(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let value = scalar.value
            if value >= 0x20 && value < 0x7f && !"\"\\%/".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "_"
            }
        }
        return out.isEmpty ? "download" : out
    }

    /// UTF-8 bytes outside RFC 8187's `attr-char` as `%XX`.
    static func percentEncoded(_ name: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for byte in name.utf8 {
            if isAttributeCharacter(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    private static func isAttributeCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$&+-.^_`|~".utf8.contains(byte)
        }
    }
}
