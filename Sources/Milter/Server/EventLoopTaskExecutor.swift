import NIOCore
import NIOPosix

/// Runs Swift tasks on one NIO event loop, so a session task and its channel share a thread and
/// no read or write crosses threads.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }

    /// One executor per loop of `group`, keyed by loop identity.
    static func executors(for group: MultiThreadedEventLoopGroup) -> [ObjectIdentifier: EventLoopTaskExecutor] {
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in group.makeIterator() {
            executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(eventLoop: loop)
        }
        return executors
    }
}
