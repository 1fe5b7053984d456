import Foundation

/// Facts about the machine the tests run on, and the rule for integration tests: a test that
/// needs a real component (Postfix, miltertest, root) runs when the component is there, fails
/// when it is missing and `CI` is set, and is skipped otherwise.
public enum TestEnvironment {
    /// Whether `CI` is set (to anything but empty or `0`/`false`).
    public static var isCI: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"] else { return false }
        return !value.isEmpty && value != "0" && value.lowercased() != "false"
    }

    /// Whether the process runs as root (a private Postfix needs it).
    public static var isRoot: Bool { getuid() == 0 }

    /// Whether an executable exists at `path`.
    public static func hasExecutable(_ path: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path)
    }

    /// Whether the real Postfix rig can run here.
    public static var canRunPostfix: Bool {
        isRoot && hasExecutable("/usr/sbin/postfix") && hasExecutable("/usr/sbin/smtp-sink")
    }

    /// Whether OpenDKIM's `miltertest` is installed.
    public static var hasMiltertest: Bool { hasExecutable("/usr/bin/miltertest") }

    /// The directory holding the package's built executables (`example-milter`, `sekisho`, …):
    /// `SEKISHO_BIN_DIR` if set, else the directory of the running test bundle.
    public static var binaryDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["SEKISHO_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("example-milter").path) {
                return url
            }
        }
        return URL(fileURLWithPath: ".build/debug")
    }

    /// The path of one of the package's executables.
    public static func binary(_ name: String) -> String {
        binaryDirectory.appendingPathComponent(name).path
    }

    /// The path of one of the package's executables, which `scripts/test` builds before the
    /// tests run: a missing one is a failure, never a skip.
    public static func builtBinary(_ name: String) throws -> String {
        let path = binary(name)
        guard hasExecutable(path) else { throw MissingComponent("the \(name) executable at \(path) (run swift build --build-tests first)") }
        return path
    }

    /// The repository root (for fixtures and scripts).
    public static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }
}

/// Thrown by a test whose real component is missing while `CI` is set.
public struct MissingComponent: Error, CustomStringConvertible {
    public var what: String

    public init(_ what: String) {
        self.what = what
    }

    public var description: String {
        "required component missing with CI set: \(what) (scripts/test installs it)"
    }
}
