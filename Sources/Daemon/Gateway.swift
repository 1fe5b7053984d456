import Archive
import ArchiveWeb
import Foundation
import Links
import Logging
import Milter
import NIOCore
import Outbound
import ServiceLifecycle

/// The composition root: builds every long-running piece of the gateway from its configuration.
public enum Gateway {
    /// The gateway's services, in start order, for one `ServiceGroup`.
    ///
    /// - Parameter onListening: called with each milter socket once it is bound (port 0 resolved).
    /// - Throws: when the state directory cannot be created.
    public static func buildServices(
        configuration: GatewayConfiguration,
        logger: Logger,
        onListening: (@Sendable (MilterSocketAddress) -> Void)? = nil,
        onWebListening: (@Sendable (Int) -> Void)? = nil,
        onLinksListening: (@Sendable (Int) -> Void)? = nil
    ) async throws -> [any Service] {
        try await build(configuration: configuration, logger: logger, onListening: onListening, onWebListening: onWebListening, onLinksListening: onLinksListening).services
    }

    /// The services and the policy store (`sekishod` reloads the policy into it on SIGHUP).
    public static func build(
        configuration: GatewayConfiguration,
        logger: Logger,
        onListening: (@Sendable (MilterSocketAddress) -> Void)? = nil,
        onWebListening: (@Sendable (Int) -> Void)? = nil,
        onLinksListening: (@Sendable (Int) -> Void)? = nil,
        onArchiveWebListening: (@Sendable (Int) -> Void)? = nil
    ) async throws -> (services: [any Service], policy: PolicyStore, metrics: GatewayMetrics) {
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let loopGuard = LoopGuard(key: try LoopGuard.loadOrCreateKey(at: "\(configuration.stateDirectory)/loop.key"))
        let store = PolicyStore(configuration)
        let metrics = GatewayMetrics()
        var services = [any Service]()
        var reinjection: PolicyMilter.Reinjection?
        var duplicateStep: DuplicateStep?
        let reinjectionRelay = try configuration.reinjectionRelay.map { try SMTPRelay(parsing: $0, tls: SMTPTLSSettings(mode: .none)) }
        if reinjectionRelay != nil || !configuration.duplicate.destinations.isEmpty {
            // Split copies, notices and duplicates: one durable queue under the state directory.
            // Split copies go to the MTA listener that has no milter (loopback: no TLS); each
            // duplicate destination has its own relay, TLS, AUTH, retry and failure policy.
            try FileManager.default.createDirectory(atPath: "\(configuration.stateDirectory)/outbound", withIntermediateDirectories: true)
            let queue = try await OutboundQueue.open(
                databasePath: "\(configuration.stateDirectory)/outbound/queue.sqlite", spoolPath: "\(configuration.stateDirectory)/outbound/spool"
            )
            let outboundMetrics = OutboundMetrics(factory: metrics.factory)
            let delivery = try DeliveryService(
                queue: queue, configuration: deliveryConfiguration(configuration, defaultRelay: reinjectionRelay), logger: logger, metrics: outboundMetrics
            )
            services.append(delivery)
            if let reinjectionRelay { reinjection = PolicyMilter.Reinjection(queue: queue, relay: reinjectionRelay) }
            if !configuration.duplicate.destinations.isEmpty {
                // Copies being written when the process stopped: never queued, never needed.
                let temporary = "\(configuration.stateDirectory)/tmp"
                for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("copy.") {
                    try? FileManager.default.removeItem(atPath: "\(temporary)/\(name)")
                }
                duplicateStep = DuplicateStep(
                    queue: queue, metrics: outboundMetrics, temporaryDirectory: "\(configuration.stateDirectory)/tmp", loopGuard: loopGuard
                )
            }
        }
        let splitCopies = reinjection
        var linkStore: LinkStore?
        if let links = configuration.links {
            let settings = linkSettings(links, configuration: configuration)
            let store = try await LinkStore.open(settings: settings)
            linkStore = store
            let notices = FirstDownloadNotices(configuration: configuration, reinjection: reinjection, logger: logger)
            services.append(LinkServer(store: store, settings: settings, logger: logger, onFirstDownload: { await notices.send($0) }, onListening: onLinksListening))
            services.append(LinkJanitor(store: store, interval: settings.janitorInterval, logger: logger))
        }
        var archiveStep: ArchiveStep?
        if let written = configuration.archive {
            let archive = written.resolved(stateDirectory: configuration.stateDirectory)
            let store = try openArchive(archive)
            let indexer = ArchiveIndexer(store: store, logger: logger) { metrics.archiveBacklog($0) }
            services.append(indexer)
            services.append(ArchiveJanitor(store: store, logger: logger, interval: archive.janitorInterval))
            if let web = archiveWebSettings(archive) {
                services.append(ArchiveWebServer(store: store, settings: web, logger: logger, onListening: onArchiveWebListening))
            }
            archiveStep = ArchiveStep(store: store, indexer: indexer, policy: ArchivePolicy(settings: archive))
        }
        let archive = archiveStep
        let duplicate = duplicateStep
        let filters = builtInFilters(stateDirectory: configuration.stateDirectory, links: linkStore, linkServer: configuration.links)
        var milter = MilterServer<PolicyMilter>.Configuration(listeners: configuration.milterListeners)
        milter.failureVerdict = configuration.failureVerdict
        milter.shutdownDrainTimeout = .milliseconds(Int64(configuration.shutdownDrain.components.seconds * 1000 + configuration.shutdownDrain.components.attoseconds / 1_000_000_000_000_000))
        milter.onListening = onListening
        let server = MilterServer(configuration: milter, logger: logger) { session in
            // Each session works with the policy in force when it began.
            let policy = store.configuration
            metrics.connection(opened: true)
            let pipeline = Pipeline(filters: filters, configuration: policy, logger: session.logger, metrics: metrics)
            return PolicyMilter(
                context: PolicyMilter.Context(
                    configuration: policy, pipeline: pipeline, loopGuard: loopGuard, reinjection: splitCopies, metrics: metrics, logger: session.logger, archive: archive,
                    duplicate: duplicate
                )
            )
        }
        services.insert(server, at: 0)
        if let web = configuration.webListen {
            services.append(try WebServer(listen: web, metricsPath: configuration.metrics.enabled ? configuration.metrics.path : nil, metrics: metrics, logger: logger, onListening: onWebListening))
        }
        return (services, store, metrics)
    }

    /// The archive web UI's settings from `archive.web`, or `nil` when it is off.
    public static func archiveWebSettings(_ archive: ArchiveGatewaySettings) -> ArchiveWebSettings? {
        guard let listen = archive.webListen else { return nil }
        return ArchiveWebSettings(
            listen: listen, tlsCertificate: archive.webTLSCertificate, tlsKey: archive.webTLSKey,
            sessionLifetime: TimeInterval(archive.webSessionLifetime.components.seconds), timeZone: archive.timeZone
        )
    }

    /// Opens the archive of the `archive:` section (paths made absolute); `singleConnection`
    /// for one-shot commands.
    public static func openArchive(_ settings: ArchiveGatewaySettings, singleConnection: Bool = false) throws -> ArchiveStore {
        let root = URL(fileURLWithPath: settings.directory, isDirectory: true).standardizedFileURL
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let database = try ArchiveDatabase(
            path: URL(fileURLWithPath: settings.databasePath, isDirectory: false).standardizedFileURL.path, singleConnection: singleConnection
        )
        return try ArchiveStore(settings: ArchiveStoreSettings(root: root, folderPattern: settings.folder, compress: settings.compress, timeZone: settings.timeZone), database: database)
    }

    /// How the queue is worked: into the local MTA (`defaultRelay`) with ``reinjectionRetry``,
    /// and to each duplicate destination with its own retry, failure policy and credentials.
    static func deliveryConfiguration(_ configuration: GatewayConfiguration, defaultRelay: SMTPRelay?) -> DeliveryServiceConfiguration {
        var client = SMTPClientConfiguration(heloName: configuration.reinjectionHeloName)
        var delivery = DeliveryServiceConfiguration(
            client: client, defaultRelay: defaultRelay,
            // The relay is the local MTA: when it is back, mail should move within seconds.
            retry: reinjectionRetry, pollInterval: .milliseconds(500)
        )
        for (name, destination) in configuration.duplicate.destinations {
            if let credentials = destination.credentials, let key = destination.relay.credentials { client.namedCredentials[key] = credentials }
            delivery.destinations[name] = DestinationPolicy(retry: destination.retry, failurePolicy: destination.failurePolicy)
        }
        delivery.client = client
        return delivery
    }

    /// Retries into the local MTA: after 10 s, doubling to at most 5 minutes, for 5 days.
    public static let reinjectionRetry = RetrySchedule(initialDelay: .seconds(10), factor: 2, maximumDelay: .seconds(300))

    /// The filters this build carries (the others arrive with their issues; a rule naming one
    /// that is missing fails safe with its failure action). Temporary files go under
    /// `stateDirectory`.
    public static func builtInFilters(stateDirectory: String, links: (any LinkCreating)? = nil, linkServer: LinkServerSettings? = nil) -> [any MessageFilter] {
        [HeaderFilter(), BannerFilter(), EncryptFilter(spoolDirectory: stateDirectory), StripFilter(), LinkFilter(store: links, server: linkServer)]
    }

    /// The names rules can use with this build.
    public static var builtInFilterNames: Set<String> { Set(builtInFilters(stateDirectory: "/tmp").map(\.name)) }

    /// The download server's settings from the policy file's `links:` section.
    public static func linkSettings(_ links: LinkServerSettings, configuration: GatewayConfiguration) -> LinkSettings {
        var directory = links.directory ?? "\(configuration.stateDirectory)/links"
        if !directory.hasPrefix("/") {
            // Relative to where the daemon starts (./var under `swift run sekishod`).
            directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(directory).standardizedFileURL.path
        }
        var settings = LinkSettings(
            directory: directory, baseURL: links.baseURL, listen: links.listen,
            tlsCertificate: links.tlsCertificate, tlsKey: links.tlsKey, defaultLifetime: links.lifetime, maximumDownloads: links.maximumDownloads
        )
        if let zone = configuration.filters["link"]?.parameters["time_zone"].flatMap(TimeZone.init(identifier:)) { settings.timeZone = zone }
        return settings
    }

    /// The main.cf lines that point Postfix at a milter socket.
    public static func postfixLines(for address: MilterSocketAddress) -> [String] {
        [
            "smtpd_milters = \(address.postfixSpelling)",
            "non_smtpd_milters = \(address.postfixSpelling)",
            "milter_protocol = 6",
            "milter_default_action = tempfail",
            "milter_connect_macros = j {daemon_name} {daemon_addr} v _ {client_addr} {client_name}",
            "milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
        ]
    }
}
