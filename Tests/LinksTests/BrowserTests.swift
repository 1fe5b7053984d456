import Foundation
import TestSupport
import Testing

@testable import Links

/// The Japanese download page rendered by a real browser (headless Chromium with Noto CJK).
@Suite("Download page in a browser")
struct BrowserTests {
    static let chromium = "/usr/bin/chromium"

    @Test(
        "headless Chromium renders the ja page; the screenshot is saved under .build/test-output",
        .enabled(if: TestEnvironment.hasExecutable(chromium) || TestEnvironment.isCI))
    func screenshot() async throws {
        let browser = try Tool.require(Self.chromium)
        guard
            FileManager.default.fileExists(atPath: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
                || !TestEnvironment.isCI
        else {
            throw MissingComponent("fonts-noto-cjk (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)")
        }
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create(
            [
                ("見積書 2026.xlsx", randomBytes(48_213)), ("仕様書_第3版.pdf", randomBytes(1_234_567)),
                ("<script>alert(1)</script>.txt", [1]),
            ],
            maximumDownloads: 5, subject: "【ご確認】お見積りと仕様書の送付")
        let output = TestEnvironment.packageRoot.appendingPathComponent(".build/test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let png = output.appendingPathComponent("links-page-ja.png").path
        try? FileManager.default.removeItem(atPath: png)
        let profile = NSTemporaryDirectory() + "links-chromium-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        try await rig.withServer { base async throws in
            let result = try await Tool.run(
                browser,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                    "--user-data-dir=\(profile)", "--screenshot=\(png)", "--window-size=1000,700",
                    base + "/l/" + link.token + "?lang=ja",
                ], timeout: 90)
            #expect(FileManager.default.fileExists(atPath: png), "chromium: \(result.status) \(result.error)")
        }
        let size = (try FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        print("download page screenshot: \(png) (\(size) bytes)")
        #expect(size > 10_000)
        let header = try Data(contentsOf: URL(fileURLWithPath: png)).prefix(8)
        #expect(Array(header) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        let audit = try await rig.store.audit(linkID: link.id)
        #expect(audit.first?.outcome == .viewed && audit.first?.userAgent?.contains("Chrome") == true)
    }
}
