import Archive
import ArchiveWeb
import Foundation
import Links
import Milter
import Outbound
import Policy
import Yams

/// Reads the policy file (YAML) into a ``GatewayConfiguration``, once, at start (and on SIGHUP).
/// Every value is checked here; an error names the file, line and key. Keys left out keep the
/// defaults of ``GatewayConfiguration`` (the one place defaults live).
public enum ConfigurationLoader {
    /// The filters a rule can name (each documented in docs/configuration.md).
    public static let knownFilters: Set<String> = [
        "encrypt", "link", "strip", "banner", "archive", "duplicate", "approval", "dkim_sign", "dkim_verify", "virus_scan", "header",
    ]

    /// Loads a file.
    public static func load(file path: String) throws(ConfigurationError) -> GatewayConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, line: nil, key: "", message: "cannot read: \(error.localizedDescription)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(text, file: path, baseDirectory: directory.isEmpty ? "." : directory)
    }

    /// Parses YAML text. Relative table files are read from `baseDirectory`.
    public static func parse(_ text: String, file: String = "<inline>", baseDirectory: String = ".") throws(ConfigurationError) -> GatewayConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, line: Self.line(of: error), key: "", message: "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw ConfigurationError(file: file, line: nil, key: "", message: "not valid YAML: \(error)")
        }
        var configuration = GatewayConfiguration()
        let top = try ConfigNode(node: root, path: "", file: file).mapping(allowed: ["milter", "web", "storage", "state_directory", "reinjection", "internal", "tables", "rules", "filters", "on_error", "logging", "metrics", "links", "archive", "duplicate"])

        if let milter = top["milter"] {
            let keys = try milter.mapping(allowed: ["listen", "shutdown_drain"])
            if let drain = keys["shutdown_drain"] { configuration.shutdownDrain = try drain.duration() }
            if let listen = keys["listen"] {
                let values = try listen.strings()
                guard !values.isEmpty else { throw listen.error("at least one listener is needed") }
                configuration.milterListeners = try values.map { (value) throws(ConfigurationError) in
                    do { return try MilterSocketAddress(parsing: value) } catch { throw listen.error("\"\(value)\" is not a milter socket (inet:PORT@HOST, inet6:PORT@HOST, unix:/path)") }
                }
            }
        }
        if let web = top["web"] {
            let keys = try web.mapping(allowed: ["listen"])
            if let listen = keys["listen"] {
                let value = try listen.string()
                guard Self.isHostPort(value) || value == "off" else { throw listen.error("expected HOST:PORT (or off)") }
                configuration.webListen = value == "off" ? nil : value
            }
        }
        if let storage = top["storage"] {
            let value = try storage.string()
            guard value.hasPrefix("sqlite:") || value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") else {
                throw storage.error("expected sqlite:PATH or postgres://…")
            }
            configuration.storage = value
        }
        if let reinjection = top["reinjection"] {
            let keys = try reinjection.mapping(allowed: ["relay", "helo_name"])
            if let relay = keys["relay"] {
                let value = try relay.string()
                guard Self.isHostPort(value) else { throw relay.error("expected HOST:PORT of an MTA listener without this milter") }
                configuration.reinjectionRelay = value
            }
            if let helo = keys["helo_name"] {
                let value = try helo.string()
                guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else { throw helo.error("expected a host name") }
                configuration.reinjectionHeloName = value
            }
        }
        if let node = top["links"] {
            configuration.links = try linkServer(node, baseDirectory: baseDirectory)
        }
        if let state = top["state_directory"] {
            configuration.stateDirectory = try state.string()
        }
        if let onError = top["on_error"] {
            configuration.onError = try failureAction(onError)
        }

        // Tables first: rules and internal settings refer to them by name.
        var tables = [String: [String]]()
        if let node = top["tables"] {
            for (name, entry) in try node.namedEntries() {
                let keys = try entry.mapping(allowed: ["entries", "file"])
                var lines = try keys["entries"]?.strings() ?? []
                if let fileNode = keys["file"] {
                    let relative = try fileNode.string()
                    let path = relative.hasPrefix("/") ? relative : "\(baseDirectory)/\(relative)"
                    guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { throw fileNode.error("cannot read \(path)") }
                    lines += contents.split(whereSeparator: \.isNewline).map { String($0).trimmed() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
                }
                tables[name] = lines
                configuration.tables[name] = try addressTable(lines, at: entry)
            }
        }
        func tableReference(_ node: ConfigNode) throws(ConfigurationError) -> AddressTable<Void> {
            // A name of a table, or entries inline.
            if case .scalar = node.node, let name = try? node.string(), let entries = tables[name] {
                return try addressTable(entries, at: node)
            }
            let entries = try node.strings()
            if entries.count == 1, !entries[0].contains("@"), !entries[0].contains("."), !entries[0].hasPrefix("!") {
                throw node.error("no table named \"\(entries[0])\" (tables: \(tables.keys.sorted().joined(separator: ", ")))")
            }
            return try addressTable(entries, at: node)
        }

        if let node = top["internal"] {
            let keys = try node.mapping(allowed: ["domains", "networks", "authenticated_is_internal", "daemon_names"])
            if let domains = keys["domains"] { configuration.internalScope.domains = try tableReference(domains) }
            if let networks = keys["networks"] { configuration.internalScope.networks = try networkList(networks) }
            if let authenticated = keys["authenticated_is_internal"] { configuration.internalScope.authenticatedIsInternal = try authenticated.bool() }
            if let daemons = keys["daemon_names"] { configuration.internalScope.daemonNames = Set(try daemons.strings()) }
        }

        if let node = top["filters"] {
            for (name, entry) in try node.namedEntries() {
                guard knownFilters.contains(name) else { throw entry.error("unknown filter (known: \(knownFilters.sorted().joined(separator: ", ")))") }
                var settings = FilterSettings(onError: configuration.onError, timeout: GatewayConfiguration.defaultFilterTimeout)
                guard !entry.isMissing else { configuration.filters[name] = settings; continue }
                guard case .mapping(let mapping) = entry.node else { throw entry.error("expected the filter's settings as a mapping") }
                for (keyNode, valueNode) in mapping {
                    guard let key = keyNode.string else { continue }
                    let child = ConfigNode(node: valueNode, path: "\(entry.path).\(key)", file: file)
                    switch key {
                    case "on_error": settings.onError = try failureAction(child)
                    case "timeout": settings.timeout = try child.duration()
                    default:
                        settings.parameters[key] = try parameterValue(child)
                    }
                }
                do {
                    try FilterParameters.validate(filter: name, parameters: settings.parameters)
                } catch {
                    throw entry.error(error.reason)
                }
                configuration.filters[name] = settings
            }
        }

        if let node = top["archive"] {
            configuration.archive = try archiveSettings(node, baseDirectory: baseDirectory, tableReference: tableReference)
        }

        if let node = top["duplicate"] {
            configuration.duplicate = try DuplicateSettingsLoader.load(node, baseDirectory: baseDirectory)
            if configuration.reinjectionRelay == nil,
                let name = configuration.duplicate.destinations.first(where: { $0.value.failurePolicy != .drop })?.key
            {
                throw node.error("destinations.\(name).failure_report: a report is sent through reinjection.relay, which is not set (or say drop)")
            }
        }

        if let node = top["rules"] {
            var names = Set<String>()
            for element in try node.elements() {
                let rule = try self.rule(element, tableReference: tableReference)
                guard names.insert(rule.name).inserted else { throw element.error("a rule named \"\(rule.name)\" exists already") }
                for action in rule.actions {
                    let merged = configuration.settings(forFilter: action.filter).parameters.merging(action.parameters) { _, rule in rule }
                    do {
                        try FilterParameters.validate(filter: action.filter, parameters: merged)
                    } catch {
                        throw ConfigurationError(file: file, line: element.line, key: "\(element.path).actions.\(action.filter)", message: error.reason)
                    }
                    if action.filter == "archive", configuration.archive == nil {
                        throw ConfigurationError(
                            file: file, line: element.line, key: "\(element.path).actions.archive", message: "the archive action needs the archive: section (where the Maildir is)"
                        )
                    }
                    if action.filter == DuplicateStep.filterName {
                        do {
                            _ = try DuplicateStep.destinations(merged, in: configuration.duplicate)
                        } catch {
                            throw ConfigurationError(file: file, line: element.line, key: "\(element.path).actions.duplicate", message: error.reason)
                        }
                    }
                    if action.filter == "link" {
                        guard configuration.links != nil else {
                            throw ConfigurationError(
                                file: file, line: element.line, key: "\(element.path).actions.link", message: "the link action needs the links: section (where the download server listens, its base_url)"
                            )
                        }
                        if configuration.reinjectionRelay == nil, let settings = try? LinkFilterSettings(merged), settings.notify != .none {
                            throw ConfigurationError(
                                file: file, line: element.line, key: "\(element.path).actions.link",
                                message: "link notices are sent through reinjection.relay, which is not set (or say notify: none)"
                            )
                        }
                    }
                    if action.filter == "encrypt", configuration.reinjectionRelay == nil, let settings = try? EncryptSettings(merged),
                        settings.notify != .none, settings.password.isRandom || settings.notifyFixed
                    {
                        throw ConfigurationError(
                            file: file, line: element.line, key: "\(element.path).actions.encrypt",
                            message: "password notices are sent through reinjection.relay, which is not set (or say notify: none)"
                        )
                    }
                }
                configuration.rules.append(rule)
            }
        }

        if let node = top["logging"] {
            let keys = try node.mapping(allowed: ["level", "format"])
            if let level = keys["level"] {
                let value = try level.string().lowercased()
                guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else { throw level.error("expected trace, debug, info, notice, warning, error or critical") }
                configuration.logging.level = value
            }
            if let format = keys["format"] {
                guard let value = LoggingSettings.Format(rawValue: try format.string().lowercased()) else { throw format.error("expected keyvalue or json") }
                configuration.logging.format = value
            }
        }
        if let links = configuration.links, let node = top["links"] {
            // The download server's own checks, now that state_directory is known.
            do {
                try Gateway.linkSettings(links, configuration: configuration).validate()
            } catch {
                throw node.error("\(error)")
            }
        }
        if let node = top["metrics"] {
            let keys = try node.mapping(allowed: ["enabled", "path"])
            if let enabled = keys["enabled"] { configuration.metrics.enabled = try enabled.bool() }
            if let path = keys["path"] {
                let value = try path.string()
                guard value.hasPrefix("/") else { throw path.error("expected a path starting with /") }
                configuration.metrics.path = value
            }
        }
        return configuration
    }

    // MARK: - Rules

    private static func rule(_ node: ConfigNode, tableReference: (ConfigNode) throws(ConfigurationError) -> AddressTable<Void>) throws(ConfigurationError) -> Rule {
        let keys = try node.mapping(allowed: ["name", "when", "actions", "dry_run", "stop"])
        guard let nameNode = keys["name"] else { throw node.error("a rule needs a name") }
        let name = try nameNode.string()
        guard !name.isEmpty else { throw nameNode.error("a rule needs a name") }
        var rule = Rule(name: name)
        if let when = keys["when"] {
            let conditions = try when.mapping(allowed: [
                "sender", "recipient", "direction", "client_network", "not_client_network", "authenticated", "authenticated_user",
                "header", "subject_contains", "size_at_least", "size_at_most", "attachment_extension", "attachment_type",
                "attachment_name", "has_attachments",
            ])
            for (key, value) in conditions.sorted(by: { $0.key < $1.key }) {
                rule.conditions.append(try condition(key, value, tableReference: tableReference))
            }
        }
        guard let actions = keys["actions"] else { throw node.error("a rule needs actions (use dry_run to only log)") }
        for element in try actions.elements() {
            rule.actions.append(try action(element, rule: name))
        }
        guard !rule.actions.isEmpty else { throw actions.error("a rule needs at least one action") }
        rule.dryRun = try keys["dry_run"]?.bool() ?? false
        rule.stop = try keys["stop"]?.bool() ?? false
        return rule
    }

    private static func condition(_ key: String, _ node: ConfigNode, tableReference: (ConfigNode) throws(ConfigurationError) -> AddressTable<Void>) throws(ConfigurationError) -> RuleCondition {
        switch key {
        case "sender": return .sender(try tableReference(node))
        case "recipient": return .recipient(try tableReference(node))
        case "direction":
            let values = try node.strings()
            var directions = Set<Direction>()
            for value in values {
                guard let direction = Direction(rawValue: value.lowercased()) else { throw node.error("\"\(value)\" is not a direction (outbound, inbound, internal)") }
                directions.insert(direction)
            }
            return .direction(directions)
        case "client_network": return .clientNetwork(try networkList(node), negated: false)
        case "not_client_network": return .clientNetwork(try networkList(node), negated: true)
        case "authenticated": return .authenticated(try node.bool())
        case "authenticated_user": return .authenticatedUser(Set(try node.strings().map { $0.lowercased() }))
        case "header":
            let keys = try node.mapping(allowed: ["name", "matches"])
            guard let name = keys["name"], let matches = keys["matches"] else { throw node.error("expected name: and matches:") }
            return .header(name: try name.string(), pattern: try pattern(matches))
        case "subject_contains": return .subjectContains(try node.strings())
        case "size_at_least": return .sizeAtLeast(try node.size())
        case "size_at_most": return .sizeAtMost(try node.size())
        case "attachment_extension": return .attachmentExtension(Set(try node.strings().map { $0.lowercased().trimmingPrefixDot() }))
        case "attachment_type": return .attachmentType(Set(try node.strings().map { $0.lowercased() }))
        case "attachment_name": return .attachmentName(try pattern(node))
        case "has_attachments": return .hasAttachments(try node.bool())
        default: throw node.error("unknown condition")
        }
    }

    private static func action(_ node: ConfigNode, rule: String) throws(ConfigurationError) -> RuleAction {
        if case .scalar = node.node {
            let name = try node.string()
            guard knownFilters.contains(name) else { throw node.error("unknown filter \"\(name)\" (known: \(knownFilters.sorted().joined(separator: ", ")))") }
            return RuleAction(filter: name, rule: rule)
        }
        let entries = try node.namedEntries()
        guard entries.count == 1, let (name, parametersNode) = entries.first else { throw node.error("an action is a filter name, or one filter name with its parameters") }
        guard knownFilters.contains(name) else { throw parametersNode.error("unknown filter (known: \(knownFilters.sorted().joined(separator: ", ")))") }
        var parameters = [String: String]()
        for (key, value) in try parametersNode.namedEntries() {
            parameters[key] = try parameterValue(value)
        }
        return RuleAction(filter: name, parameters: parameters, rule: rule)
    }

    private static func linkServer(_ node: ConfigNode, baseDirectory: String) throws(ConfigurationError) -> LinkServerSettings {
        let keys = try node.mapping(allowed: ["listen", "base_url", "directory", "tls_certificate", "tls_key", "lifetime", "maximum_downloads"])
        guard let baseNode = keys["base_url"] else { throw node.error("base_url is required (the address recipients reach, https://…)") }
        let base = try baseNode.string()
        guard base.hasPrefix("https://") || base.hasPrefix("http://"), base.count > 8, !base.contains(" ") else { throw baseNode.error("expected an http:// or https:// URL") }
        var settings = LinkServerSettings(baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base)
        if let listen = keys["listen"] {
            let value = try listen.string()
            guard isHostPort(value) else { throw listen.error("expected HOST:PORT") }
            settings.listen = value
        }
        if let directory = keys["directory"] { settings.directory = try directory.string() }
        func file(_ key: String) throws(ConfigurationError) -> String? {
            guard let child = keys[key] else { return nil }
            let value = try child.string()
            let path = value.hasPrefix("/") ? value : "\(baseDirectory)/\(value)"
            guard FileManager.default.isReadableFile(atPath: path) else { throw child.error("cannot read \(path)") }
            return path
        }
        settings.tlsCertificate = try file("tls_certificate")
        settings.tlsKey = try file("tls_key")
        guard (settings.tlsCertificate == nil) == (settings.tlsKey == nil) else { throw node.error("tls_certificate and tls_key go together") }
        if let lifetime = keys["lifetime"] { settings.lifetime = try lifetime.duration() }
        if let maximum = keys["maximum_downloads"] { settings.maximumDownloads = try maximum.int(in: 1...1_000_000) }
        return settings
    }

    private static func archiveSettings(
        _ node: ConfigNode, baseDirectory: String, tableReference: (ConfigNode) throws(ConfigurationError) -> AddressTable<Void>
    ) throws(ConfigurationError) -> ArchiveGatewaySettings {
        let keys = try node.mapping(allowed: [
            "directory", "database", "folder", "compress", "save_policy", "addresses", "skip_header", "retention", "time_zone", "janitor_interval", "web",
        ])
        var settings = ArchiveGatewaySettings(directory: try keys["directory"]?.string() ?? "archive")
        if let database = keys["database"] { settings.database = try database.string() }
        settings.fingerprint = (try? Yams.serialize(node: node.node ?? Node(""))) ?? ""
        if let folder = keys["folder"] {
            let value = try folder.string()
            do {
                _ = try MaildirFolderPattern(value)
            } catch {
                throw folder.error(error.description)
            }
            settings.folder = value
        }
        if let compress = keys["compress"] { settings.compress = try compress.bool() }
        if let policy = keys["save_policy"] {
            guard let value = ArchiveSavePolicy(rawValue: try policy.string().lowercased()) else { throw policy.error("expected both, sender or recipient") }
            settings.savePolicy = value
        }
        if let addresses = keys["addresses"] { settings.addresses = try tableReference(addresses) }
        if let skip = keys["skip_header"] {
            let patterns = try skip.strings()
            for pattern in patterns {
                guard (try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])) != nil else { throw skip.error("\"\(pattern)\" is not a valid regular expression") }
            }
            settings.skipHeaders = patterns
        }
        if let retention = keys["retention"] {
            let text = try retention.string()
            guard let days = RetentionText.days(text) else { throw retention.error("retention is whole days, weeks or years (90d, 12w, 10y), not \(text)") }
            settings.retentionDays = days
        }
        if let zone = keys["time_zone"] {
            let name = try zone.string()
            guard let value = TimeZone(identifier: name) else { throw zone.error("unknown time zone \"\(name)\" (e.g. Asia/Tokyo)") }
            settings.timeZone = value
        }
        if let interval = keys["janitor_interval"] {
            settings.janitorInterval = try interval.duration()
            guard settings.janitorInterval >= .seconds(1) else { throw interval.error("at least 1s") }
        }
        if let web = keys["web"] {
            let webKeys = try web.mapping(allowed: ["listen", "tls_certificate", "tls_key", "session_lifetime"])
            if let listen = webKeys["listen"] {
                let value = try listen.string()
                guard isHostPort(value) else { throw listen.error("expected HOST:PORT") }
                settings.webListen = value
            }
            func file(_ key: String) throws(ConfigurationError) -> String? {
                guard let child = webKeys[key] else { return nil }
                let value = try child.string()
                let path = value.hasPrefix("/") ? value : "\(baseDirectory)/\(value)"
                guard FileManager.default.isReadableFile(atPath: path) else { throw child.error("cannot read \(path)") }
                return path
            }
            settings.webTLSCertificate = try file("tls_certificate")
            settings.webTLSKey = try file("tls_key")
            guard (settings.webTLSCertificate == nil) == (settings.webTLSKey == nil) else { throw web.error("tls_certificate and tls_key go together") }
            if let lifetime = webKeys["session_lifetime"] { settings.webSessionLifetime = try lifetime.duration() }
            if let webSettings = Gateway.archiveWebSettings(settings) {
                do {
                    try webSettings.validate()
                } catch {
                    throw web.error(error.description)
                }
            }
        }
        return settings
    }

    // MARK: - Values

    /// A filter parameter: one value, or a list of values joined with commas.
    private static func parameterValue(_ node: ConfigNode) throws(ConfigurationError) -> String {
        switch node.node {
        case .scalar: return try node.string()
        case .sequence: return try node.strings().joined(separator: ",")
        default: throw node.error("filter parameters are values or lists of values")
        }
    }

    private static func failureAction(_ node: ConfigNode) throws(ConfigurationError) -> FailureAction {
        guard let action = FailureAction(rawValue: try node.string().lowercased()) else { throw node.error("expected tempfail, accept or reject") }
        return action
    }

    private static func addressTable(_ entries: [String], at node: ConfigNode) throws(ConfigurationError) -> AddressTable<Void> {
        var table = AddressTable<Void>()
        for entry in entries {
            do { try table.add(entry, value: ()) } catch { throw node.error("bad entry \(error)") }
        }
        return table
    }

    private static func networkList(_ node: ConfigNode) throws(ConfigurationError) -> [NetworkRange] {
        try node.strings().map { (value) throws(ConfigurationError) in
            do { return try NetworkRange(parsing: value) } catch { throw node.error("\(error)") }
        }
    }

    private static func pattern(_ node: ConfigNode) throws(ConfigurationError) -> HeaderPattern {
        let source = try node.string()
        do { return try HeaderPattern(source) } catch { throw node.error("not a valid regular expression: \(error)") }
    }

    private static func isHostPort(_ value: String) -> Bool {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (1...65535).contains(port) else { return false }
        return colon != value.startIndex
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}

extension String {
    fileprivate func trimmingPrefixDot() -> String {
        hasPrefix(".") ? String(dropFirst()) : self
    }
}
