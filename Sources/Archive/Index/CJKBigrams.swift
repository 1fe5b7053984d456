/// The overlapping two-character pieces of the CJK runs in a text (「定例会議」 → 「定例 例会 会議」),
/// for the `message_bigram` FTS5 table: words of two characters — the commonest in Japanese
/// business mail (会議, 契約, 予算) — are below the trigram index's reach and would otherwise be
/// found only by scanning every text. Pure.
enum CJKBigrams {
    /// Han, hiragana, katakana (full and half width) and the prolonged sound mark.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3041...0x309F, 0x30A0...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Whether a search word is a two-character CJK word (answered from the bigram table).
    static func isBigram(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        return scalars.count == 2 && scalars.allSatisfy(isCJK)
    }

    /// The bigrams of `text`, space-separated.
    static func text(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            guard isCJK(scalar) else {
                previous = nil
                continue
            }
            if let previous {
                output.unicodeScalars.append(previous)
                output.unicodeScalars.append(scalar)
                output.append(" ")
            }
            previous = scalar
        }
        return output
    }
}
