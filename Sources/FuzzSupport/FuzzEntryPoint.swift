import Foundation

/// What the fuzz executables share: built with `-DFUZZING` they hand the process to libFuzzer's
/// driver; in a normal build they replay files or directories of inputs, so a crash found by the
/// fuzzer can be reproduced and the seed corpora checked in CI.
public enum FuzzEntryPoint {
    /// The per-input callback, as libFuzzer calls it.
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs the fuzzer (with `-DFUZZING`) or replays the inputs named on the command line.
    public static func main(name: String, callback: Callback) throws {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
        #else
        try replay(CommandLine.arguments.dropFirst(), name: name, callback: callback)
        #endif
    }

    /// Calls `callback` with the bytes of every file named, or in every directory named (not
    /// recursing into subdirectories).
    public static func replay(_ paths: ArraySlice<String>, name: String, callback: Callback) throws {
        guard !paths.isEmpty else {
            print("usage: \(name) FILE|DIRECTORY... (replays inputs; build with -DFUZZING for libFuzzer)")
            return
        }
        var count = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            let files =
                isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }.filter { file in
                    var nested: ObjCBool = false
                    return FileManager.default.fileExists(atPath: file, isDirectory: &nested) && !nested.boolValue
                }
                : [path]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                _ = data.withUnsafeBytes { raw in
                    callback(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count)
                }
                count += 1
            }
        }
        print("\(name): replayed \(count) inputs")
    }
}

#if FUZZING
/// libFuzzer's driver (from the runtime `-sanitize=fuzzer` links in).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
