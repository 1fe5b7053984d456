import Logging
import Synchronization

/// The policy in force — configuration and pipeline — swapped whole on reload. Each milter
/// session takes a snapshot when it starts, so a reload never changes a message in flight.
public final class PolicyStore: Sendable {
    private let current: Mutex<GatewayConfiguration>

    init(_ configuration: GatewayConfiguration) {
        current = Mutex(configuration)
    }

    /// The configuration in force.
    public var configuration: GatewayConfiguration {
        current.withLock { $0 }
    }

    /// Replaces the policy. Settings that need a restart (listeners, state directory, storage,
    /// reinjection, web, links, archive) are kept; a changed `duplicate:` is taken but its delivery settings need a restart, and listed in the returned warnings.
    @discardableResult
    public func replace(with new: GatewayConfiguration) -> [String] {
        current.withLock { old in
            var accepted = new
            var warnings = [String]()
            if new.milterListeners != old.milterListeners { warnings.append("milter.listen"); accepted.milterListeners = old.milterListeners }
            if new.stateDirectory != old.stateDirectory { warnings.append("state_directory"); accepted.stateDirectory = old.stateDirectory }
            if new.storage != old.storage { warnings.append("storage"); accepted.storage = old.storage }
            if new.reinjectionRelay != old.reinjectionRelay { warnings.append("reinjection.relay"); accepted.reinjectionRelay = old.reinjectionRelay }
            if new.webListen != old.webListen { warnings.append("web.listen"); accepted.webListen = old.webListen }
            if new.links != old.links { warnings.append("links"); accepted.links = old.links }
            if new.archive?.fingerprint != old.archive?.fingerprint { warnings.append("archive"); accepted.archive = old.archive }
            // Relays, envelopes and sanitizing apply to new copies; what the delivery service
            // took at start (auth, retry, failure_report) waits for a restart.
            if new.duplicate.destinations.isEmpty != old.duplicate.destinations.isEmpty {
                // Added or removed as a whole: the queue and the delivery service are made at start.
                warnings.append("duplicate (added or removed)")
                accepted.duplicate = old.duplicate
            } else if new.duplicate.deliveryFingerprint != old.duplicate.deliveryFingerprint {
                warnings.append("duplicate.destinations (auth, retry, failure_report)")
            }
            old = accepted
            return warnings
        }
    }
}
