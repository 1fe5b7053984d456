#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open files, which bounds how many milter connections it can hold.
public enum OpenFileLimit {
    /// The soft limit in force, or `nil` when it cannot be read.
    public static var current: Int? {
        read().map { Int(clamping: $0.rlim_cur) }
    }

    /// Raises the soft limit to the hard limit (each connection is a file descriptor; many
    /// systems start processes with a soft limit of 1024). Returns the soft limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        guard var limit = read() else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
        }
        return current ?? -1
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif

    private static func read() -> rlimit? {
        var limit = rlimit()
        return getrlimit(resource, &limit) == 0 ? limit : nil
    }
}
