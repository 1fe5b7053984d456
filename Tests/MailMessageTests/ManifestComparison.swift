import Foundation

/// Compares the manifest's expected facts with `MessageSummary` JSON and lists every difference.
enum ManifestComparison {
    static func compare(expected: [String: Any], actual: [String: Any]) -> [String] {
        var problems = [String]()
        func check(_ key: String, _ ok: Bool, _ detail: @autoclosure () -> String) {
            if !ok { problems.append("\(key): \(detail())") }
        }
        // Subject (null allowed).
        let expectedSubject = expected["subject"] as? String
        let actualSubject = actual["subject"] as? String
        check("subject", expectedSubject == actualSubject, "expected \(expectedSubject ?? "nil") got \(actualSubject ?? "nil")")
        for field in ["from", "to", "cc"] {
            let want = mailboxes(expected[field])
            let got = mailboxes(actual[field])
            let alternatives = (expected["\(field)_alternatives"] as? [Any])?.map(mailboxes) ?? []
            check(field, want == got || alternatives.contains(got), "expected \(want) got \(got)")
        }
        // Counts.
        for key in ["attachment_count", "user_attachment_count", "nested_attachment_count", "inline_part_count", "part_count", "max_path_components", "max_nesting_depth"] {
            let want = expected[key] as? Int
            let got = actual[key] as? Int
            check(key, want == got, "expected \(want.map(String.init) ?? "nil") got \(got.map(String.init) ?? "nil")")
        }
        // MIME tree (possibly truncated: first 20 and last 5).
        let wantTree = tree(expected["mime_tree"])
        let gotTree = tree(actual["mime_tree"])
        if expected["mime_tree_truncated"] as? Bool == true {
            check("mime_tree", Array(gotTree.prefix(20)) == Array(wantTree.prefix(20)) && Array(gotTree.suffix(5)) == Array(wantTree.suffix(5)), "truncated tree differs")
        } else {
            check("mime_tree", wantTree == gotTree, "expected \(wantTree) got \(gotTree)")
        }
        // Body parts.
        let wantBody = (expected["body_parts"] as? [[String: Any]] ?? []).map(bodyPart)
        let gotBody = (actual["body_parts"] as? [[String: Any]] ?? []).map(bodyPart)
        check("body_parts", wantBody == gotBody, "expected \(wantBody) got \(gotBody)")
        // Text.
        let text = actual["body_text"] as? String ?? ""
        for word in expected["body_text_contains"] as? [String] ?? [] {
            check("body_text_contains", text.contains(word), "missing \(word.debugDescription)")
        }
        for word in expected["body_text_not_contains"] as? [String] ?? [] {
            check("body_text_not_contains", !text.contains(word), "contains \(word.debugDescription)")
        }
        // Attachments.
        let gotAttachments = actual["attachments"] as? [[String: Any]] ?? []
        var wantAttachments = expected["attachments"] as? [[String: Any]] ?? []
        if expected["attachments_truncated"] as? Bool == true {
            let firstFive = Array(gotAttachments.prefix(5))
            let lastFive = Array(gotAttachments.suffix(5))
            problems += compareAttachments(Array(wantAttachments.prefix(5)), firstFive)
            problems += compareAttachments(Array(wantAttachments.suffix(5)), lastFive)
            wantAttachments = []
            if let aggregate = expected["attachments_aggregate"] as? [String: Any] {
                let count = aggregate["count"] as? Int
                let total = aggregate["total_size"] as? Int
                let sizes = gotAttachments.compactMap { $0["size"] as? Int }.reduce(0, +)
                let hashes = gotAttachments.compactMap { $0["sha256"] as? String }.joined()
                let listHash = sha256Hex(Array(hashes.utf8))
                check("attachments_aggregate.count", count == gotAttachments.count, "expected \(count ?? -1) got \(gotAttachments.count)")
                check("attachments_aggregate.total_size", total == sizes, "expected \(total ?? -1) got \(sizes)")
                check("attachments_aggregate.sha256", aggregate["sha256_of_sha256_list"] as? String == listHash, "differs")
            }
        } else {
            problems += compareAttachments(wantAttachments, gotAttachments)
        }
        // Security.
        let wantSecurity = expected["security"] as? [String: Any] ?? [:]
        let gotSecurity = actual["security"] as? [String: Any] ?? [:]
        for (key, value) in wantSecurity {
            check("security.\(key)", "\(value)" == "\(gotSecurity[key] ?? "nil")", "expected \(value) got \(gotSecurity[key] ?? "nil")")
        }
        // Warnings: every expected code is reported; no warning-severity code beyond them.
        let wantCodes = Set((expected["expected_warnings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String })
        let gotWarnings = actual["warnings"] as? [[String: Any]] ?? []
        let gotCodes = Set(gotWarnings.compactMap { $0["code"] as? String })
        let optional: Set<String> = ["deep_nesting", "many_parts"]
        check("warnings", wantCodes.subtracting(optional).isSubset(of: gotCodes), "expected \(wantCodes.sorted()) got \(gotCodes.sorted())")
        let unexpected = gotWarnings.filter { ($0["severity"] as? String) == "warning" && !wantCodes.contains($0["code"] as? String ?? "") }
        check("warnings", unexpected.isEmpty, "unexpected \(unexpected.map { "\($0["code"] ?? "") \($0["detail"] ?? "")" })")
        return problems
    }

    private static func compareAttachments(_ want: [[String: Any]], _ got: [[String: Any]]) -> [String] {
        var problems = [String]()
        guard want.count == got.count else {
            return ["attachments: expected \(want.count) got \(got.count): \(got.map { "\($0["mime_path"] ?? "")" })"]
        }
        for (index, (w, g)) in zip(want, got).enumerated() {
            let label = "attachment[\(index + 1)] \(w["mime_path"] ?? "")"
            for key in ["mime_path", "content_type", "transfer_encoding", "size", "sha256", "inline", "role", "content_disposition", "content_id", "inside_message_rfc822"] {
                let wv = "\(w[key].map { $0 is NSNull ? "nil" : "\($0)" } ?? "nil")"
                let gv = "\(g[key].map { $0 is NSNull ? "nil" : "\($0)" } ?? "nil")"
                if wv != gv { problems.append("\(label) \(key): expected \(wv) got \(gv)") }
            }
            let wantName = w["filename"] as? String
            let gotName = g["filename"] as? String
            let alternatives = w["filename_alternatives"] as? [String] ?? []
            if wantName != gotName && !(gotName.map(alternatives.contains) ?? false) {
                problems.append("\(label) filename: expected \(wantName.debugDescription) got \(gotName.debugDescription)")
            }
            let wantReasons = Set(w["unsafe_filename_reasons"] as? [String] ?? [])
            let gotReasons = Set(g["unsafe_filename_reasons"] as? [String] ?? [])
            if wantReasons != gotReasons { problems.append("\(label) unsafe_filename_reasons: expected \(wantReasons.sorted()) got \(gotReasons.sorted())") }
        }
        return problems
    }

    private static func mailboxes(_ value: Any?) -> [String] {
        (value as? [[String: Any]] ?? []).map { "\($0["name"] as? String ?? "") <\($0["address"] as? String ?? "")>" }
    }

    private static func tree(_ value: Any?) -> [String] {
        (value as? [[String: Any]] ?? []).map { "\($0["path"] as? String ?? "") \($0["content_type"] as? String ?? "")" }
    }

    private static func bodyPart(_ value: [String: Any]) -> String {
        ["path", "content_type", "charset", "transfer_encoding", "inside_message_rfc822"].map { key in
            value[key].map { $0 is NSNull ? "nil" : "\($0)" } ?? "nil"
        }.joined(separator: "|")
    }
}
