import NIOCore
import NIOPosix

/// Runs Swift tasks on one NIO event loop, so a session task and its channel share a thread and
/// no read or write crosses threads.
///
/// Jobs go through `EventLoop.execute` and run on this task executor. (NIO's allocation-free
/// `NIOSerialEventLoopExecutor.enqueue` runs jobs on the loop as a *serial* executor instead; a
/// task preferring this executor then switches back at its next await, which measured as more
/// CPU per message than the closure it saves.)
///
/// Shared by the milter server (a session per connection) and the SMTP client (a delivery
/// session per connection); `package`, not part of any library's public API.
package final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    package let eventLoop: any EventLoop

    /// An executor for `eventLoop`.
    package init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }

    /// One executor per loop of `group`, keyed by loop identity.
    package static func executors(for group: MultiThreadedEventLoopGroup) -> [ObjectIdentifier: EventLoopTaskExecutor] {
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in group.makeIterator() {
            executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(eventLoop: loop)
        }
        return executors
    }
}
