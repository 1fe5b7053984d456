import Foundation

/// The entry point. Built with `-DFUZZING` it hands over to libFuzzer's driver; in a normal
/// build it replays files or directories of inputs, so a crash found by the fuzzer can be
/// reproduced and the seed corpus checked in CI.
@main
struct MIMEFuzz {
    static func main() throws {
        #if FUZZING
        exit(runFuzzerDriver())
        #else
        try replay(CommandLine.arguments.dropFirst())
        #endif
    }

    static func replay(_ paths: ArraySlice<String>) throws {
        guard !paths.isEmpty else {
            print("usage: mime-fuzz FILE|DIRECTORY... (replays inputs; build with -DFUZZING for libFuzzer)")
            return
        }
        var count = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }.filter { file in
                    var nested: ObjCBool = false
                    return FileManager.default.fileExists(atPath: file, isDirectory: &nested) && !nested.boolValue
                }
                : [path]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                data.withUnsafeBytes { MIMEFuzzTarget.run($0) }
                count += 1
            }
        }
        print("mime-fuzz: replayed \(count) inputs")
    }
}
