import NIOPosix
import NIOSSL
import Synchronization

/// The TLS contexts of one ``SMTPClient``: one per distinct certificate check (verification level
/// and trust roots), built once, off the cooperative pool, and kept for the client's lifetime.
///
/// Building a context reads the trust roots (the system bundle or a PEM file), which is disk I/O
/// and parsing, so it runs on NIO's blocking-I/O thread pool, and only the first session with
/// those settings pays for it. A failed build is not kept: the next session tries again (after
/// the file was fixed, say). A PEM file that changes later is not read again until the client is
/// made anew (the delivery service restarted).
final class TLSContextCache: Sendable {
    /// What a context depends on; the expected name is passed per connection instead.
    private struct Key: Hashable, Sendable {
        var verification: CertificateVerification
        var trustRoots: TrustRoots
    }

    private let contexts = Mutex<[Key: NIOSSLContext]>([:])

    /// An empty cache.
    init() {}

    /// How many contexts are cached.
    var count: Int { contexts.withLock { $0.count } }

    /// The context for `settings`, built on first use.
    /// - Throws: ``SMTPClientError/Code/tlsConfiguration`` when the trust roots cannot be read
    ///   (a missing or empty PEM file, one that does not parse) or the context cannot be made.
    func context(for settings: SMTPTLSSettings) async throws(SMTPClientError) -> NIOSSLContext {
        let key = Key(verification: settings.effectiveVerification, trustRoots: settings.trustRoots)
        if let cached = contexts.withLock({ $0[key] }) { return cached }
        let configuration = settings.makeTLSConfiguration()
        let trustRoots = settings.trustRoots
        let built: NIOSSLContext
        do {
            built = try await NIOThreadPool.singleton.runIfActive { () throws -> NIOSSLContext in
                // Read even when nothing is verified (opportunistic TLS): a wrong path is a
                // configuration error to report, not something to ignore.
                if case .pemFile(let path) = trustRoots {
                    guard !(try NIOSSLCertificate.fromPEMFile(path)).isEmpty else {
                        throw SMTPClientError(.tlsConfiguration, phase: .startTLS, isTransient: true, detail: "no certificate in \(path)")
                    }
                }
                return try NIOSSLContext(configuration: configuration)
            }
        } catch let error as SMTPClientError {
            throw error
        } catch {
            throw SMTPClientError(.tlsConfiguration, phase: .startTLS, isTransient: true, detail: "trust roots \(trustRoots): \(error)")
        }
        return contexts.withLock { contexts in
            if let raced = contexts[key] { return raced }
            contexts[key] = built
            return built
        }
    }
}
