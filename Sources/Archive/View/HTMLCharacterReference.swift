import MailMessage

/// Decodes HTML character references the way browsers read them in text and attribute values:
/// `&#106;`, `&#x6A;` and `&#x09` (numeric ones also without the `;`), and named references
/// with `;` (``HTMLText``'s table). NUL, surrogates and values beyond U+10FFFF become U+FFFD.
enum HTMLCharacterReference {
    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "&", index + 1 < scalars.count else {
                output.append(scalars[index])
                index += 1
                continue
            }
            if scalars[index + 1] == "#" {
                if let (scalar, length) = numeric(scalars, at: index) {
                    output.append(scalar)
                    index += length
                    continue
                }
            } else if let (replacement, length) = named(scalars, at: index) {
                output.append(contentsOf: replacement.unicodeScalars)
                index += length
                continue
            }
            output.append("&")
            index += 1
        }
        return String(output)
    }

    /// `&#…` at `start`: the character and how many scalars it took.
    private static func numeric(_ scalars: [Unicode.Scalar], at start: Int) -> (Unicode.Scalar, Int)? {
        var position = start + 2
        var hex = false
        if position < scalars.count, scalars[position] == "x" || scalars[position] == "X" {
            hex = true
            position += 1
        }
        var value: UInt32 = 0
        var digits = 0
        while position < scalars.count, let digit = digitValue(scalars[position], hex: hex) {
            value = value > 0x10FFFF ? value : value &* (hex ? 16 : 10) &+ digit
            digits += 1
            position += 1
        }
        guard digits > 0 else { return nil }
        if position < scalars.count && scalars[position] == ";" { position += 1 }
        let scalar = value == 0 || value > 0x10FFFF ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}"
        return (scalar, position - start)
    }

    /// The value of a decimal (or, with `hex`, hexadecimal) digit.
    static func digitValue(_ scalar: Unicode.Scalar, hex: Bool) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 48
        case "a"..."f" where hex: scalar.value - 87
        case "A"..."F" where hex: scalar.value - 55
        default: nil
        }
    }

    /// `&name;` at `start` (at most 32 letters and digits).
    private static func named(_ scalars: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var position = start + 1
        while position < scalars.count, position - start <= 32,
            HTMLTokenizer.isLetter(scalars[position]) || ("0"..."9").contains(scalars[position])
        {
            position += 1
        }
        guard position < scalars.count, scalars[position] == ";", position > start + 1 else { return nil }
        var reference = String.UnicodeScalarView()
        reference.append(contentsOf: scalars[start...position])
        let literal = String(reference)
        let decoded = HTMLText.decodeEntities(literal)
        return decoded == literal ? nil : (decoded, position + 1 - start)
    }
}
