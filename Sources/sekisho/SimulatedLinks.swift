import Crypto
import Foundation
import Links

/// The link store `sekisho simulate` uses: it reads each file (for its size and SHA-256) and
/// answers with placeholder URLs under the policy's base URL; nothing is stored.
struct SimulatedLinks: LinkCreating {
    let baseURL: String

    func create(_ link: NewLink) async throws -> CreatedLink {
        var files = [LinkFile]()
        for file in link.files {
            var hash = SHA256()
            var size: Int64 = 0
            try file.content { chunk in
                hash.update(bufferPointer: chunk)
                size += Int64(chunk.count)
            }
            files.append(LinkFile(name: file.name, contentType: file.contentType, size: size, sha256: hash.finalize().map { String(format: "%02x", $0) }.joined()))
        }
        return CreatedLink(
            id: 0, token: "SIMULATED-TOKEN", url: "\(baseURL)/l/SIMULATED-TOKEN", revokeToken: "SIMULATED-REVOKE",
            revokeURL: "\(baseURL)/r/SIMULATED-REVOKE", files: files, expires: link.expires
        )
    }
}
