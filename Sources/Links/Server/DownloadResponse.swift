import Hummingbird
import Logging

/// The response to a granted download: the decrypted file, streamed.
///
/// The start of the blob is checked before the 200 goes out, so a blob damaged there gets a
/// 500 page. Later damage cuts the connection before the damaged chunk: the client sees fewer
/// bytes than `Content-Length` and never an unauthenticated byte (``BlobReader``). Either way
/// the audit row says `corrupt`; a client that goes away leaves `aborted`.
enum DownloadResponse {
    static func make(
        _ ticket: DownloadTicket, store: LinkStore, logger: Logger, pages: LinkPages,
        onFirstDownload: (@Sendable (FirstDownload) async -> Void)?
    ) async -> Response {
        var tagged = logger
        tagged[metadataKey: "link.id"] = "\(ticket.linkID)"
        tagged[metadataKey: "link.file"] = "\(ticket.fileIndex)"
        let logger = tagged
        do {
            let probe = try reader(for: ticket)
            _ = try await probe.next()
        } catch {
            logger.error("blob failed its integrity check; not sent", metadata: ["error": "\(error)"])
            _ = try? await store.finishDownload(ticket, bytes: 0, outcome: .corrupt)
            return LinkRoutes.html(.internalServerError, pages.refusalPage(.corrupt))
        }
        var headers: HTTPFields = [
            .contentType: ticket.file.contentType,
            .contentDisposition: ContentDisposition.attachment(fileName: ticket.file.name),
        ]
        headers[.contentLength] = String(ticket.file.size)
        let body = ResponseBody(contentLength: Int(ticket.file.size)) { writer in
            var sent: Int64 = 0
            var outcome = AuditOutcome.ok
            var failure: (any Error)?
            do {
                let reader = try reader(for: ticket)
                while let piece = try await reader.next() {
                    do {
                        try await writer.write(ByteBuffer(bytes: piece))
                    } catch {
                        outcome = .aborted
                        throw error
                    }
                    sent += Int64(piece.count)
                }
                outcome = .aborted
                try await writer.finish(nil)
                outcome = .ok
            } catch {
                if outcome == .ok { outcome = .corrupt }
                failure = error
            }
            let first: FirstDownload?
            do {
                first = try await store.finishDownload(ticket, bytes: sent, outcome: outcome)
            } catch {
                logger.error("cannot record the end of a download", metadata: ["error": "\(error)"])
                first = nil
            }
            if let failure {
                if outcome == .corrupt {
                    logger.error(
                        "blob failed its integrity check mid-transfer; connection cut",
                        metadata: ["bytes": "\(sent)", "error": "\(failure)"])
                } else {
                    logger.info("download aborted", metadata: ["bytes": "\(sent)"])
                }
                throw failure
            }
            logger.info("download completed", metadata: ["bytes": "\(sent)", "client": "\(ticket.client.address)"])
            if let first, let onFirstDownload { await onFirstDownload(first) }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func reader(for ticket: DownloadTicket) throws -> BlobReader {
        try BlobReader(
            path: ticket.blobPath, key: ticket.key, expectedSize: ticket.file.size, expectedSHA256: ticket.file.sha256)
    }
}
