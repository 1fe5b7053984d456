import Foundation
import Links
import Logging
import Outbound

/// Mails the sender when a download link is used for the first time (the `link` action's
/// `notify_first_download`): composed from the `downloaded` template and queued in the durable
/// Outbound queue for `reinjection.relay`.
struct FirstDownloadNotices: Sendable {
    let configuration: GatewayConfiguration
    let reinjection: PolicyMilter.Reinjection?
    let logger: Logger

    func send(_ download: FirstDownload) async {
        var log = logger
        log[metadataKey: "link.id"] = "\(download.linkID)"
        guard let reinjection, !download.sender.isEmpty else {
            log.warning("first download: no notice (no reinjection relay or no sender)")
            return
        }
        let settings = (try? LinkFilterSettings(configuration.filters["link"]?.parameters ?? [:])) ?? LinkFilterSettings()
        let composer = NoticeComposer(settings: settings.notice, timeZone: settings.timeZone)
        do {
            let values: [String: String] = [
                "subject": download.subject, "files": download.fileName, "date": NoticeComposer.format(download.time, settings.timeZone),
                "client": download.clientAddress, "sender": download.sender,
            ]
            let mail = try composer.compose(.downloaded, values: values, to: [download.sender], envelopeSender: download.sender, messageID: download.messageID)
            let request = EnqueueRequest(
                sender: try SMTPAddress(mail.sender), recipients: try mail.recipients.map { (address) throws in try SMTPAddress(address) },
                message: .bytes(mail.message), relay: reinjection.relay, origin: mail.kind, originQueueID: nil
            )
            _ = try await reinjection.queue.enqueue(request)
            log.info("first download: notice queued", metadata: ["mail.rcpt": "\(download.sender)"])
        } catch {
            log.error("first download: notice not queued", metadata: ["error": "\(error)"])
        }
    }
}
