import ArgumentParser
import Milter
import NIOCore

/// Options shared by the commands that talk to a milter.
struct MilterSpecOptions: ParsableArguments {
    @Option(name: .long, help: "The milter: inet:PORT@HOST, inet:HOST:PORT or unix:/path.")
    var milter: String

    @Option(help: "Seconds to wait for each reply.")
    var timeout: Double = 30

    @Option(help: "Protocol version to offer (2, 3, 4 or 6).")
    var offerVersion: UInt32 = 6

    @Option(help: "Actions to offer (SMFIF_* mask).", transform: parseMask)
    var offerActions: UInt32 = MilterActions.all.rawValue

    @Option(help: "Protocol options to offer (SMFIP_* mask).", transform: parseMask)
    var offerProtocol: UInt32 = MilterProtocolOptions.all.rawValue

    func address() throws -> MilterSocketAddress {
        do {
            return try MilterSocketAddress(parsing: milter)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func clientConfiguration() -> MilterClient.Configuration {
        MilterClient.Configuration(
            offer: OptionNegotiation(
                version: offerVersion,
                actions: MilterActions(rawValue: offerActions),
                protocolOptions: MilterProtocolOptions(rawValue: offerProtocol)
            ),
            timeout: .milliseconds(Int64(timeout * 1000))
        )
    }
}

func parseMask(_ text: String) throws -> UInt32 {
    let value = text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
    guard let value else { throw ValidationError("\"\(text)\" is not a number (decimal or 0x hex)") }
    return value
}
