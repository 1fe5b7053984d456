import Foundation
import Outbound
import Yams

/// Reads the `duplicate:` section (docs/duplicate.md): every destination checked once, naming
/// the key that is wrong.
enum DuplicateSettingsLoader {
    static func load(_ node: ConfigNode, baseDirectory: String) throws(ConfigurationError) -> DuplicateSettings {
        let keys = try node.mapping(allowed: ["destinations"])
        guard let destinationsNode = keys["destinations"] else { throw node.error("destinations is required (where copies go)") }
        var settings = DuplicateSettings()
        for (name, entry) in try destinationsNode.namedEntries() {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw entry.error("a destination name is letters, digits, - and _")
            }
            settings.destinations[name] = try destination(name, entry, baseDirectory: baseDirectory)
        }
        guard !settings.destinations.isEmpty else { throw destinationsNode.error("at least one destination is needed") }
        settings.deliveryFingerprint = (try? Yams.serialize(node: destinationsNode.node ?? Node(""))) ?? ""
        return settings
    }

    private static func destination(_ name: String, _ node: ConfigNode, baseDirectory: String) throws(ConfigurationError) -> DuplicateDestination {
        let keys = try node.mapping(allowed: [
            "relay", "tls", "verify", "trust", "server_name", "auth", "sender", "sender_map", "recipients", "recipient_map", "unmapped", "retry",
            "failure_report", "sanitize",
        ])
        guard let relayNode = keys["relay"] else { throw node.error("relay is required (HOST:PORT of the server copies go to)") }
        var tls = SMTPTLSSettings(mode: .opportunistic)
        if let mode = keys["tls"] {
            guard let value = StartTLSMode(rawValue: try mode.string().lowercased()) else { throw mode.error("expected none, opportunistic or required") }
            tls.mode = value
        }
        if let verify = keys["verify"] {
            guard let value = CertificateVerification(rawValue: try verify.string().lowercased()) else { throw verify.error("expected full, no-hostname or none") }
            tls.verification = value
        }
        if let trust = keys["trust"] {
            let value = try trust.string()
            if value == "system" {
                tls.trustRoots = .system
            } else {
                let path = value.hasPrefix("pem:") ? String(value.dropFirst(4)) : value
                let absolute = path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
                guard FileManager.default.isReadableFile(atPath: absolute) else { throw trust.error("cannot read \(absolute)") }
                tls.trustRoots = .pemFile(absolute)
            }
        }
        if let serverName = keys["server_name"] { tls.serverName = try serverName.string() }
        let relayText = try relayNode.string()
        let relay: SMTPRelay
        do {
            relay = try SMTPRelay(parsing: relayText, tls: tls)
        } catch {
            throw relayNode.error(error.description)
        }
        var destination = DuplicateDestination(name: name, relay: relay)
        if let auth = keys["auth"] {
            destination.credentials = try credentials(auth, baseDirectory: baseDirectory)
            guard tls.mode == .required else { throw auth.error("AUTH sends the password: it needs tls: required") }
            guard tls.verification != .none else { throw auth.error("AUTH sends the password: it needs the server's certificate checked (verify: full or no-hostname)") }
            destination.relay.credentials = "duplicate:\(name)"
        }
        if let sender = keys["sender"] {
            let value = try sender.string()
            switch value.lowercased() {
            case "keep": destination.sender = .keep
            case "<>", "null": destination.sender = .null
            default:
                guard (try? SMTPAddress(value)) != nil, value.contains("@") else { throw sender.error("expected keep, <> or an address") }
                destination.sender = .address(value)
            }
        }
        destination.senderMap = try addressMap(keys["sender_map"], baseDirectory: baseDirectory)
        if let recipients = keys["recipients"] {
            if case .scalar = recipients.node, try recipients.string().lowercased() == "keep" {
                destination.recipients = .keep
            } else {
                let addresses = try recipients.strings()
                for address in addresses {
                    guard address.contains("@"), let parsed = try? SMTPAddress(address), !parsed.isNull else { throw recipients.error("\"\(address)\" is not an address") }
                }
                guard !addresses.isEmpty else { throw recipients.error("expected keep or a list of addresses") }
                destination.recipients = .fixed(addresses)
            }
        }
        destination.recipientMap = try addressMap(keys["recipient_map"], baseDirectory: baseDirectory)
        if let unmapped = keys["unmapped"] {
            switch try unmapped.string().lowercased() {
            case "keep": destination.dropsUnmappedRecipients = false
            case "drop": destination.dropsUnmappedRecipients = true
            default: throw unmapped.error("expected keep or drop")
            }
        }
        if let retry = keys["retry"] { destination.retry = try retrySchedule(retry, base: destination.retry) }
        if let report = keys["failure_report"] {
            let value = try report.string()
            guard value != "bounce" else { throw report.error("a copy is never bounced to the original's sender: drop or notify:ADDRESS") }
            do {
                destination.failurePolicy = try PermanentFailurePolicy(parsing: value)
            } catch {
                throw report.error(error.problem)
            }
        }
        if let sanitize = keys["sanitize"] { destination.sanitizing = try sanitizing(sanitize, baseDirectory: baseDirectory) }
        return destination
    }

    private static func credentials(_ node: ConfigNode, baseDirectory: String) throws(ConfigurationError) -> SMTPCredentials {
        let keys = try node.mapping(allowed: ["username", "password_file"])
        guard let user = keys["username"], let file = keys["password_file"] else { throw node.error("auth needs username and password_file") }
        let username = try user.string()
        let relative = try file.string()
        let path = relative.hasPrefix("/") ? relative : "\(baseDirectory)/\(relative)"
        guard let data = FileManager.default.contents(atPath: path) else { throw file.error("cannot read \(path)") }
        // The first line; the file holds nothing else worth sending.
        let password = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !username.isEmpty, !password.isEmpty, !username.contains("\u{0}"), !password.contains("\u{0}") else {
            throw node.error("username and the password in \(path) must not be empty")
        }
        return SMTPCredentials(username: username, password: password)
    }

    private static func addressMap(_ node: ConfigNode?, baseDirectory: String) throws(ConfigurationError) -> AddressRewrite? {
        guard let node else { return nil }
        var lines = [String]()
        switch node.node {
        case .mapping:
            let keys = try node.mapping(allowed: ["entries", "file"])
            lines = try keys["entries"]?.strings() ?? []
            if let fileNode = keys["file"] {
                let relative = try fileNode.string()
                let path = relative.hasPrefix("/") ? relative : "\(baseDirectory)/\(relative)"
                guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { throw fileNode.error("cannot read \(path)") }
                lines += contents.split(whereSeparator: \.isNewline).map(String.init)
            }
        default:
            lines = try node.strings()
        }
        let map: AddressRewrite
        do {
            map = try AddressRewrite(lines: lines)
        } catch {
            throw node.error(error.description)
        }
        guard map.count > 0 else { throw node.error("the map has no entries") }
        return map
    }

    private static func retrySchedule(_ node: ConfigNode, base: RetrySchedule) throws(ConfigurationError) -> RetrySchedule {
        let keys = try node.mapping(allowed: ["initial_delay", "maximum_delay", "factor", "maximum_age"])
        var schedule = base
        if let value = keys["initial_delay"] { schedule.initialDelay = try value.duration() }
        if let value = keys["maximum_delay"] { schedule.maximumDelay = try value.duration() }
        if let value = keys["maximum_age"] { schedule.maximumAge = try value.duration() }
        if let value = keys["factor"] {
            guard let factor = Double(try value.string()) else { throw value.error("expected a number ≥ 1") }
            schedule.factor = factor
        }
        do {
            try schedule.validate()
        } catch {
            throw node.error("\(error)")
        }
        return schedule
    }

    private static func sanitizing(_ node: ConfigNode, baseDirectory: String) throws(ConfigurationError) -> CopySanitizing {
        let keys = try node.mapping(allowed: [
            "attachments", "risky_kinds", "html_to_text", "strip_active_html", "defang_urls", "mark_header", "subject_prefix", "banner", "banner_file",
        ])
        var settings = CopySanitizing()
        if let attachments = keys["attachments"] {
            guard let value = CopySanitizing.AttachmentRemoval(rawValue: try attachments.string().lowercased()) else {
                throw attachments.error("expected keep, all or risky")
            }
            settings.attachments = value
        }
        if let kinds = keys["risky_kinds"] {
            var chosen = Set<RiskyKind>()
            for text in try kinds.strings() {
                guard let kind = RiskyKind(rawValue: text.lowercased()) else {
                    throw kinds.error("unknown kind \"\(text)\" (known: \(RiskyKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                chosen.insert(kind)
            }
            guard !chosen.isEmpty else { throw kinds.error("at least one kind") }
            settings.riskyKinds = chosen
        }
        if let value = keys["html_to_text"] { settings.htmlToText = try value.bool() }
        if let value = keys["strip_active_html"] { settings.stripActiveHTML = try value.bool() }
        if let value = keys["defang_urls"] { settings.defangURLs = try value.bool() }
        if let header = keys["mark_header"] {
            let value = try header.string()
            if ["no", "off", "false", "none"].contains(value.lowercased()) {
                settings.markHeader = nil
            } else {
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { throw header.error("a header field name is letters, digits and -") }
                settings.markHeader = value
            }
        }
        if let prefix = keys["subject_prefix"] { settings.subjectPrefix = try prefix.string() }
        if let banner = keys["banner"] { settings.banner = try banner.string() }
        if let file = keys["banner_file"] {
            let relative = try file.string()
            let path = relative.hasPrefix("/") ? relative : "\(baseDirectory)/\(relative)"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw file.error("cannot read \(path) as UTF-8") }
            settings.banner = text
        }
        return settings
    }
}
