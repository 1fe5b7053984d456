import Yams

/// A YAML node with its key path and line, and typed readers that fail with a
/// ``ConfigurationError`` naming both.
struct ConfigNode {
    let node: Node?
    let path: String
    let file: String

    var line: Int? { node?.mark?.line }

    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: line, key: path, message: message)
    }

    var isMissing: Bool {
        guard let node else { return true }
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return true }
        return false
    }

    /// The children of a mapping, checking that only `allowed` keys appear (typos are errors).
    func mapping(allowed: Set<String>) throws(ConfigurationError) -> [String: ConfigNode] {
        guard !isMissing else { return [:] }
        guard case .mapping(let mapping) = node else { throw error("expected a mapping (key: value lines)") }
        var result = [String: ConfigNode]()
        for (key, value) in mapping {
            guard let name = key.string else { throw ConfigNode(node: key, path: path, file: file).error("a key must be text") }
            let child = ConfigNode(node: value, path: path.isEmpty ? name : "\(path).\(name)", file: file)
            guard allowed.contains(name) else {
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigNode(node: key, path: child.path, file: file).error("unknown key (known here: \(known))")
            }
            guard result[name] == nil else { throw ConfigNode(node: key, path: child.path, file: file).error("key given twice") }
            result[name] = child
        }
        return result
    }

    /// The entries of a mapping whose keys are names chosen by the administrator.
    func namedEntries() throws(ConfigurationError) -> [(String, ConfigNode)] {
        guard !isMissing else { return [] }
        guard case .mapping(let mapping) = node else { throw error("expected a mapping of names") }
        var result = [(String, ConfigNode)]()
        for (key, value) in mapping {
            guard let name = key.string, !name.isEmpty else { throw ConfigNode(node: key, path: path, file: file).error("a name must be text") }
            result.append((name, ConfigNode(node: value, path: "\(path).\(name)", file: file)))
        }
        return result
    }

    func elements() throws(ConfigurationError) -> [ConfigNode] {
        guard !isMissing else { return [] }
        guard case .sequence(let sequence) = node else { throw error("expected a list (- item lines)") }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a value") }
        return scalar.string
    }

    /// One value or a list of values.
    func strings() throws(ConfigurationError) -> [String] {
        guard !isMissing else { return [] }
        if case .sequence = node { return try elements().map { (element) throws(ConfigurationError) in try element.string() } }
        return [try string()]
    }

    func bool() throws(ConfigurationError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false")
        }
    }

    func int(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(try string()), range.contains(value) else { throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound)") }
        return value
    }

    /// A size: a number of bytes, or with a unit `K`, `M`, `G` (1024-based; `KB`/`MB`/`GB`/`KiB`/… accepted).
    func size() throws(ConfigurationError) -> Int {
        let text = try string().trimmed().uppercased()
        let digits = text.prefix { $0.isNumber }
        var unit = String(text.dropFirst(digits.count)).trimmed()
        if unit.hasSuffix("IB") { unit.removeLast(2) } else if unit.hasSuffix("B") { unit.removeLast() }
        let multipliers: [String: Int] = ["": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let value = Int(digits), let multiplier = multipliers[unit], value <= Int(Int32.max) else {
            throw error("expected a size such as 10485760, 512K or 10M")
        }
        return value * multiplier
    }

    /// A duration: seconds, or with a unit `ms`, `s`, `m`, `h`.
    func duration() throws(ConfigurationError) -> Duration {
        guard let value = DurationText.parse(try string()) else { throw error("expected a duration such as 30s, 500ms, 5m or 7d") }
        return value
    }
}

extension String {
    func trimmed() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
