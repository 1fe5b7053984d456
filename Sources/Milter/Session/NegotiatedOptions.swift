/// The outcome of option negotiation for one connection: what the MTA offered, what the filter
/// asked for, and therefore which events arrive, which need a reply and which modifications are
/// allowed.
public struct NegotiatedOptions: Hashable, Sendable {
    /// The protocol version both sides speak: the smaller of 6 and the MTA's.
    public var version: UInt32
    /// What the MTA offered (0 is read as the version 1 sets, as libmilter does).
    public var offered: OptionNegotiation
    /// The modifications the filter may send.
    public var actions: MilterActions
    /// The protocol options in the filter's reply; the MTA honours these.
    public var protocolOptions: MilterProtocolOptions
    /// Events the handler wants to see.
    public var deliveredEvents: MilterEvents
    /// Macro lists sent in the reply.
    public var macroRequests: [MacroRequest]

    /// The largest payload the filter may send in one packet: 65,535 unless larger packets were
    /// negotiated (`SMFIP_MDS_*`).
    public var maximumPayload: Int {
        if protocolOptions.contains(.maximumDataSize1M) { return (1 << 20) - 1 }
        if protocolOptions.contains(.maximumDataSize256K) { return (1 << 18) - 1 }
        return 65_535
    }

    /// Whether the MTA will send this event at all.
    public func mtaSends(_ event: MilterEvents) -> Bool {
        !protocolOptions.contains(event.skipFlag)
    }

    /// Whether the MTA waits for a reply to this event.
    public func mtaAwaitsReply(_ event: MilterEvents) -> Bool {
        !protocolOptions.contains(event.noReplyFlag)
    }

    /// Whether `SMFIR_SKIP` may be sent.
    public var skipAllowed: Bool { protocolOptions.contains(.skip) }

    /// Runs option negotiation as libmilter does and returns the agreed options and the reply.
    ///
    /// - The version is the smaller of 6 and the MTA's; below 2 fails.
    /// - Required actions the MTA does not offer fail the negotiation; optional ones are dropped.
    /// - `NO*` and `NR_*` flags the MTA does not offer are left out: the session then answers those
    ///   events itself (libmilter "fakes" them the same way).
    /// - Macro lists are sent only to a version 6 MTA that offers `SMFIF_SETSYMLIST`.
    /// - Throws: ``MilterProtocolError`` `.negotiationFailed`.
    public static func negotiate(
        offer: OptionNegotiation,
        capabilities: MilterCapabilities
    ) throws -> NegotiatedOptions {
        guard offer.version >= 2 else {
            throw MilterProtocolError(
                .negotiationFailed,
                "MTA speaks milter protocol version \(offer.version); at least 2 is needed"
            )
        }
        let version = min(6, offer.version)
        let offeredActions = offer.actions.rawValue == 0 ? MilterActions.version1 : offer.actions
        let offeredOptions =
            offer.protocolOptions.rawValue == 0 ? MilterProtocolOptions.version1 : offer.protocolOptions
        let missing = capabilities.requiredActions.subtracting(offeredActions)
        guard missing.isEmpty else {
            throw MilterProtocolError(
                .negotiationFailed,
                "MTA does not offer the actions the filter requires: \(missing) (offered: \(offeredActions))"
            )
        }
        var actions = capabilities.requiredActions.union(capabilities.optionalActions.intersection(offeredActions))
        actions.remove(.setSymbolList)

        var options: MilterProtocolOptions = []
        for (event, skipFlag, noReplyFlag) in MilterEvents.flags {
            if !capabilities.events.contains(event) {
                if offeredOptions.contains(skipFlag) {
                    options.insert(skipFlag)
                } else if offeredOptions.contains(noReplyFlag) {
                    options.insert(noReplyFlag)
                }
            } else if capabilities.noReplyEvents.contains(event), offeredOptions.contains(noReplyFlag) {
                options.insert(noReplyFlag)
            }
        }
        if capabilities.skip, offeredOptions.contains(.skip) { options.insert(.skip) }
        if capabilities.rejectedRecipients, offeredOptions.contains(.rejectedRecipients) {
            options.insert(.rejectedRecipients)
        }
        if capabilities.headerLeadingSpace, offeredOptions.contains(.headerLeadingSpace) {
            options.insert(.headerLeadingSpace)
        }
        if capabilities.largePackets {
            if offeredOptions.contains(.maximumDataSize1M) {
                options.insert(.maximumDataSize1M)
            } else if offeredOptions.contains(.maximumDataSize256K) {
                options.insert(.maximumDataSize256K)
            }
        }
        var requests: [MacroRequest] = []
        if !capabilities.macros.isEmpty, version >= 6, offeredActions.contains(.setSymbolList) {
            requests = capabilities.macros
            actions.insert(.setSymbolList)
        }
        return NegotiatedOptions(
            version: version,
            offered: OptionNegotiation(version: offer.version, actions: offeredActions, protocolOptions: offeredOptions),
            actions: actions,
            protocolOptions: options,
            deliveredEvents: capabilities.events,
            macroRequests: requests
        )
    }

    /// The `'O'` reply that announces these options to the MTA.
    public var reply: OptionNegotiation {
        OptionNegotiation(
            version: version,
            actions: actions,
            protocolOptions: protocolOptions,
            macroRequests: macroRequests
        )
    }
}
