import Archive
import Foundation
import TestSupport
import Testing

/// The web UI in a real browser: headless Chromium driven by Selenium (scripts/archive-browser.py)
/// signs in, searches (in Japanese too), opens messages, downloads an attachment, opens a
/// hostile HTML mail, and signs in as an auditor. Screenshots go to .build/test-output/archive-*.png.
@Suite("Archive web UI in a browser")
struct ArchiveBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"
    static let python = "/usr/bin/python3"
    static let selenium = "/usr/lib/python3/dist-packages/selenium/__init__.py"

    static var available: Bool {
        TestEnvironment.hasExecutable(chromium) && TestEnvironment.hasExecutable(chromedriver) && TestEnvironment.hasExecutable(python)
            && FileManager.default.fileExists(atPath: selenium)
    }

    @Test(
        "sign in, search, view, download, hostile HTML stays inert, auditor scope holds",
        .enabled(if: available || TestEnvironment.isCI), .timeLimit(.minutes(5)))
    func browse() async throws {
        _ = try Tool.require(Self.chromium)
        _ = try Tool.require(Self.chromedriver)
        let python = try Tool.require(Self.python)
        guard FileManager.default.fileExists(atPath: Self.selenium) else { throw MissingComponent("python3-selenium (\(Self.selenium))") }
        if TestEnvironment.isCI && !FileManager.default.fileExists(atPath: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc") {
            throw MissingComponent("fonts-noto-cjk")
        }
        let beaconPort = FreePort.next()
        let rig = try await ArchiveWebRig.make(beaconPort: beaconPort, listen: "127.0.0.1:\(FreePort.next())")
        defer { rig.fixture.remove() }
        let output = TestEnvironment.packageRoot.appendingPathComponent(".build/test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("archive-browser-\(UUID().uuidString)")
        let downloads = scratch.appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let outside = rig.messages["p31"]!
        let reportLine: String = try await rig.withServer { base in
            let config: [String: Any] = [
                "base": base, "beacon_port": beaconPort, "output": output.path, "downloads": downloads.path,
                "admin_password": ArchiveWebRig.adminPassword, "auditor_password": ArchiveWebRig.auditorPassword,
                "attachment_message": rig.messages["p11"]!.id, "hostile_message": rig.hostile.id,
                "out_of_scope_message": outside.id, "out_of_scope_word": "新サービス",
            ]
            let configFile = scratch.appendingPathComponent("config.json")
            try JSONSerialization.data(withJSONObject: config).write(to: configFile)
            let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/archive-browser.py").path
            let run = try await Tool.run(python, [script, configFile.path], timeout: 240)
            guard run.status == 0, let line = run.output.split(separator: "\n").last else {
                Issue.record("archive-browser.py failed (\(run.status)): \(run.error.suffix(3000)) \(run.output.suffix(2000))")
                return "{}"
            }
            return String(line)
        }
        let report = try #require(try JSONSerialization.jsonObject(with: Data(reportLine.utf8)) as? [String: Any])
        try #require(!report.isEmpty)
        print("archive browser report: \(report)")

        #expect((report["anonymous_redirect"] as? String)?.hasSuffix("/login") == true)
        #expect((report["after_login"] as? String)?.hasSuffix("/search") == true)
        #expect((report["total_japanese"] as? String)?.hasPrefix("0") == false)
        #expect((report["japanese_subjects"] as? [String])?.contains("3月分ご請求書の送付") == true)
        #expect((report["attachment_names"] as? [String])?.first == "請求書_2024年3月分.pdf")
        #expect((report["downloaded"] as? [String]) == ["請求書_2024年3月分.pdf"])
        #expect(report["download_sha256"] as? String == "12f6a5bd3b7402cd04d4b5b4218c796a7c9cec2529d7621616062896a36b6138")

        // The hostile mail: nothing ran, nothing loaded.
        #expect((report["beacon_hits"] as? [String]) == [])
        #expect((report["hostile_title"] as? String)?.contains("RAN") == false)
        #expect(report["frame_sandbox"] as? String == "")
        #expect(report["frame_heading"] as? String == "怪しいメール")
        #expect(report["frame_scripts"] as? Int == 0)
        #expect((report["frame_images"] as? [Any])?.allSatisfy { !"\($0)".contains("127.0.0.1") } == true)

        // The auditor's scope.
        let subjects = report["auditor_subjects"] as? [String] ?? []
        #expect(subjects.contains("3月分ご請求書の送付"))
        #expect(!subjects.contains(outside.subject) && !subjects.contains("打ち合わせ議事メモ（4月3日）"))
        #expect((report["auditor_out_of_scope_total"] as? String)?.hasPrefix("0") == true)
        #expect(report["auditor_direct_url"] as? String == "見つかりません")

        for path in report["screenshots"] as? [String] ?? [] {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(path)")
        }
        #expect(try await rig.audit.list(account: "tanaka").contains { $0.action == .denied })
    }
}
