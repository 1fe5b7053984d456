/// Warnings in the order found, one per code and detail.
struct Warnings {
    /// Details kept per code; further ones are counted into the last.
    static let detailsPerCode = 20

    private(set) var list: [MessageWarning] = []
    private var seen = Set<MessageWarning>()
    private var perCode = [MessageWarning.Code: Int]()

    mutating func add(_ code: MessageWarning.Code, _ severity: MessageWarning.Severity, _ detail: String) {
        let warning = MessageWarning(code, severity, detail)
        guard !seen.contains(warning) else { return }
        let count = perCode[code, default: 0]
        perCode[code] = count + 1
        if count < Self.detailsPerCode {
            seen.insert(warning)
            list.append(warning)
        } else if count == Self.detailsPerCode {
            list.append(MessageWarning(code, severity, "and more"))
        }
    }

    func has(_ code: MessageWarning.Code) -> Bool {
        perCode[code] != nil
    }
}
