import ArgumentParser
import Daemon
import Foundation
import Logging
import MailMessage
import Policy

/// `sekisho simulate --from A --rcpt B [--client IP] message.eml`: what the policy would do with
/// a message, per recipient (rules matched, actions, the messages delivered). A dry run: nothing
/// is sent, stored or changed.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Show what the policy would do with a message, per recipient (no side effects)."
    )

    @Option(help: "The policy file (default: the embedded defaults).")
    var config: String?

    @Option(help: "Envelope sender (\"\" for the null sender).")
    var from: String

    @Option(name: .customLong("rcpt"), help: "Envelope recipient (repeat for several).")
    var recipients: [String]

    @Option(help: "Client IP address (omit for a local submission).")
    var client: String?

    @Option(help: "SMTP AUTH login ({auth_authen}).")
    var auth: String?

    @Option(help: "Postfix service name ({daemon_name}).")
    var daemon: String?

    @Flag(help: "Also print the message each group would receive.")
    var printMessage = false

    @Argument(help: "The message file (.eml).")
    var file: String

    func validate() throws {
        guard !recipients.isEmpty else { throw ValidationError("at least one --rcpt is needed") }
    }

    func run() async throws {
        let configuration: GatewayConfiguration
        if let config {
            do { configuration = try ConfigurationLoader.load(file: config) } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        } else {
            configuration = GatewayConfiguration()
        }
        let message: MailMessage
        do { message = try MailMessage.parse(contentsOfFile: file) } catch { throw ValidationError("cannot read \(file): \(error)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let facts = MessageFacts(message: message, size: size, sender: from, clientAddress: client, authenticatedUser: auth, daemonName: daemon)
        let simulation = PolicySimulation(configuration: configuration, facts: facts, recipients: recipients)
        let summary = "\"\(InspectCommand.visible(facts.subject))\", \(facts.size) bytes, \(facts.attachments.count) attachment\(facts.attachments.count == 1 ? "" : "s")\(facts.attachments.isEmpty ? "" : " (" + facts.attachments.map { InspectCommand.visible($0.filename.isEmpty ? "-" : $0.filename) }.joined(separator: ", ") + ")")"
        print(simulation.report(messageSummary: summary))
        if printMessage {
            // The filters run for real on a copy, in a scratch directory removed afterwards;
            // nothing is queued or sent (follow-up mail is printed, not delivered).
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-simulate-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            var quiet = Logger(label: "sekisho.simulate")
            quiet.logLevel = .critical
            let links = configuration.links.map { SimulatedLinks(baseURL: $0.baseURL) }
            let filters = Gateway.builtInFilters(stateDirectory: scratch, links: links, linkServer: configuration.links)
            let pipeline = Pipeline(filters: filters, configuration: configuration, logger: quiet)
            for (index, group) in simulation.groups.enumerated() {
                print("")
                print("--- message \(index + 1) (to \(group.map(\.recipient).joined(separator: ", "))) ---")
                let work = FilterWork(message: message, facts: facts, recipients: group.map(\.recipient), queueID: nil)
                switch await pipeline.run(group.first?.actions ?? [], on: work) {
                case .deliver(let result):
                    for note in result.notes { print("(\(note))") }
                    print(String(decoding: try result.message.serialized(), as: UTF8.self))
                    for mail in result.followUps {
                        print("--- follow-up \(mail.kind) from <\(mail.sender)> to \(mail.recipients.joined(separator: ", ")) (not sent) ---")
                        print(String(decoding: mail.message, as: UTF8.self))
                    }
                case .stopped(let verdict, let filter):
                    print("(stopped by \(filter): \(verdict))")
                case .failed(let filter, let reason, let action):
                    print("(filter \(filter) failed: \(reason); the MTA would be told \(action.rawValue))")
                }
            }
        }
    }
}
