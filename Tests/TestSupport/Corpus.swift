import Foundation

/// The shared test corpus (`../shared/corpus`): 48 stored messages and the facts a correct
/// parser must extract (`manifest.json`).
public enum Corpus {
    /// `SEKISHO_CORPUS` if set; else `shared/corpus` beside the checkout or beside any folder
    /// above it (a clean clone may live deeper); else the workspace's `/work/shared/corpus`.
    public static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["SEKISHO_CORPUS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        var candidates = [URL]()
        var folder = TestEnvironment.packageRoot
        while folder.path != "/" {
            folder.deleteLastPathComponent()
            candidates.append(folder.appendingPathComponent("shared/corpus"))
        }
        candidates.append(URL(fileURLWithPath: "/work/shared/corpus"))
        let found = candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("manifest.json").path) }
        return found ?? candidates[0]
    }()

    nonisolated(unsafe) public static let manifest: [[String: Any]] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let messages = object["messages"] as? [[String: Any]]
        else { return [] }
        return messages
    }()

    /// Ids of the stored messages.
    public static let storedIDs: [String] = manifest.filter { ($0["generated_on_demand"] as? Bool) != true }.compactMap { $0["id"] as? String }

    /// Ids generated on demand (large).
    public static let generatedIDs: [String] = manifest.filter { ($0["generated_on_demand"] as? Bool) == true }.compactMap { $0["id"] as? String }

    public static func entry(_ id: String) -> [String: Any] {
        manifest.first { $0["id"] as? String == id } ?? [:]
    }

    public static func bytes(_ id: String) throws -> [UInt8] {
        let file = entry(id)["file"] as? String ?? ""
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    public static func path(_ id: String) -> String {
        directory.appendingPathComponent(entry(id)["file"] as? String ?? "").path
    }
}
