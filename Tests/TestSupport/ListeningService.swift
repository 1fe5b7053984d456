import Logging
import ServiceLifecycle

/// Runs the service `make` builds (handing it the callback it reports its port through) in a
/// service group while `body` runs with that port, then shuts it down gracefully — also when
/// `body` throws. For servers listening on port 0 (the web rigs).
public func withListeningService<T: Sendable>(
    _ make: (@escaping @Sendable (Int) -> Void) -> any Service, _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let group = ServiceGroup(services: [make { continuation.yield($0) }], logger: Logger(label: "test-service-group") { _ in SwiftLogNoOpLogHandler() })
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw MissingComponent("the server never reported its port") }
        do {
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.next()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.next()
            throw error
        }
    }
}
