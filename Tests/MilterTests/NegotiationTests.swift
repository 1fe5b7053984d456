import Testing

@testable import Milter

@Suite("Option negotiation")
struct NegotiationTests {
    @Test("version is the smaller of 6 and the MTA's; below 2 fails")
    func versions() throws {
        for (offered, agreed) in [(2 as UInt32, 2 as UInt32), (3, 3), (4, 4), (6, 6), (7, 6)] {
            let options = try NegotiatedOptions.negotiate(
                offer: OptionNegotiation(version: offered, actions: .all, protocolOptions: .all),
                capabilities: MilterCapabilities()
            )
            #expect(options.version == agreed)
        }
        #expect(throws: MilterProtocolError.self) {
            try NegotiatedOptions.negotiate(offer: OptionNegotiation(version: 1, actions: .all, protocolOptions: .all), capabilities: MilterCapabilities())
        }
    }

    @Test("an MTA offering 0 is read as the version 1 sets")
    func zeroMeansVersion1() throws {
        let options = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 2, actions: [], protocolOptions: []),
            capabilities: MilterCapabilities()
        )
        #expect(options.actions == MilterActions.version1)
        #expect(options.offered.protocolOptions == .version1)
    }

    @Test("required actions the MTA lacks fail; optional ones are dropped")
    func actions() throws {
        let offer = OptionNegotiation(version: 6, actions: [.addHeaders, .changeHeaders], protocolOptions: .all)
        #expect(throws: MilterProtocolError.self) {
            try NegotiatedOptions.negotiate(offer: offer, capabilities: MilterCapabilities(requiredActions: [.changeBody]))
        }
        let options = try NegotiatedOptions.negotiate(offer: offer, capabilities: MilterCapabilities(requiredActions: [.addHeaders]))
        #expect(options.actions == [.addHeaders, .changeHeaders])
    }

    @Test("unwanted events become NO* when offered, else NR_*, else the session answers them")
    func unwantedEvents() throws {
        let capabilities = MilterCapabilities(events: [.envelopeFrom])
        let postfix = try NegotiatedOptions.negotiate(offer: .postfix, capabilities: capabilities)
        #expect(postfix.protocolOptions.isSuperset(of: [.noConnect, .noHelo, .noRecipient, .noData, .noHeaders, .noEndOfHeaders, .noBody, .noUnknown]))
        #expect(!postfix.protocolOptions.contains(.noMail))
        // A version 2 MTA offers neither NODATA nor NOUNKNOWN nor any NR_*.
        let old = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 2, actions: .version2, protocolOptions: .version2),
            capabilities: capabilities
        )
        #expect(!old.protocolOptions.contains(.noData))
        #expect(old.protocolOptions.isSubset(of: .version2))
        #expect(old.mtaSends(.data) && old.mtaAwaitsReply(.data))
    }

    @Test("no-reply events are asked for only when offered")
    func noReply() throws {
        let capabilities = MilterCapabilities(noReplyEvents: [.header, .body])
        let postfix = try NegotiatedOptions.negotiate(offer: .postfix, capabilities: capabilities)
        #expect(postfix.protocolOptions.isSuperset(of: [.noReplyHeader, .noReplyBody]))
        #expect(!postfix.mtaAwaitsReply(.header) && postfix.mtaAwaitsReply(.endOfHeaders))
        let v4 = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 4, actions: .version2, protocolOptions: MilterProtocolOptions(rawValue: 0x37F)),
            capabilities: capabilities
        )
        #expect(v4.mtaAwaitsReply(.header) && v4.mtaAwaitsReply(.body))
    }

    @Test("skip, leading space, rejected recipients and large packets follow the offer")
    func extensions() throws {
        let capabilities = MilterCapabilities(headerLeadingSpace: true, rejectedRecipients: true, skip: true, largePackets: true)
        let options = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 6, actions: .all, protocolOptions: [.all, .maximumDataSize1M]),
            capabilities: capabilities
        )
        #expect(options.protocolOptions.isSuperset(of: [.skip, .headerLeadingSpace, .rejectedRecipients, .maximumDataSize1M]))
        #expect(options.maximumPayload == (1 << 20) - 1)
        let postfix = try NegotiatedOptions.negotiate(offer: .postfix, capabilities: capabilities)
        #expect(postfix.maximumPayload == 65_535)
        let noSkip = try NegotiatedOptions.negotiate(offer: .postfix, capabilities: MilterCapabilities(skip: false))
        #expect(!noSkip.skipAllowed)
    }

    @Test("macro lists go only to a version 6 MTA offering SETSYMLIST")
    func macroLists() throws {
        let capabilities = MilterCapabilities(macros: [MacroRequest(stage: .connect, names: ["j", "{client_addr}"])])
        let postfix = try NegotiatedOptions.negotiate(offer: .postfix, capabilities: capabilities)
        #expect(postfix.actions.contains(.setSymbolList))
        #expect(postfix.reply.macroRequests == capabilities.macros)
        let noSymlist = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 6, actions: .version2, protocolOptions: .all),
            capabilities: capabilities
        )
        #expect(noSymlist.reply.macroRequests.isEmpty && !noSymlist.actions.contains(.setSymbolList))
        let v4 = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 4, actions: .all, protocolOptions: .all),
            capabilities: capabilities
        )
        #expect(v4.reply.macroRequests.isEmpty)
    }
}
