/// The writer's helpers: state errors, failure handling, output calls, per-entry setup.
extension ZipWriter {
    /// The ZIP64 room of a new local header (see `beginEntry`'s `sizeHint`).
    static func localZip64Room(force: Bool, sizeHint: UInt64?) -> EntryRecord.LocalZip64Room {
        if force { return .zip64 }
        guard let hint = sizeHint else { return .reserved }
        // Deflate's worst case adds about 5 bytes per 16 KiB block (zlib's deflateBound is below
        // n + n/2048 + 13); encryption adds at most 28 bytes.
        let (bound, overflow) = hint.addingReportingOverflow(hint / 2048 + 4096)
        return !overflow && bound < UInt64(ZipLimit.marker32) ? .none : .zip64
    }

    /// The error for a call that the current state does not allow.
    func stateError(_ call: String) -> ZipError {
        switch state {
        case .ready:
            ZipError(.invalidState, "\(call) without an open entry (call beginEntry first)")
        case .writing(let record, _):
            ZipError(.invalidState, "\(call) while the entry \(record.name.displayName) is open (call endEntry first)")
        case .finished:
            ZipError(.invalidState, "\(call) after finish")
        case .failed(let error):
            ZipError(.invalidState, "\(call) after an earlier failure (\(error.reason))")
        }
    }

    func markFailed(_ error: ZipError) {
        state = .failed(error)
    }

    /// Runs `body`; any error leaves the writer failed for good, since the archive on the output
    /// may be half-written. The error comes out as a ``ZipError``.
    func failingPermanently(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            let zipError = error as? ZipError ?? ZipError(.outputFailed, "\(error)")
            markFailed(zipError)
            throw zipError
        }
    }

    func append(_ bytes: [UInt8]) throws {
        do {
            try bytes.withUnsafeBytes { try output.append($0) }
        } catch let error as ZipError {
            throw error
        } catch {
            throw ZipError(.outputFailed, "append: \(error)")
        }
    }

    func overwrite(at offset: UInt64, with bytes: [UInt8]) throws {
        do {
            try output.overwrite(at: offset, with: bytes)
        } catch let error as ZipError {
            throw error
        } catch {
            throw ZipError(.outputFailed, "overwrite at \(offset): \(error)")
        }
    }

    /// The deflater for a new entry: made once, reset for each later entry.
    func reusableDeflater() throws -> Deflater {
        if let deflater {
            try deflater.reset()
            return deflater
        }
        let made = try Deflater(level: options.compressionLevel)
        deflater = made
        return made
    }

    /// The encryptor of a new entry, with fresh random salt or header bytes.
    func makeEncryptor(for record: EntryRecord) throws -> (any EntryEncryptor)? {
        switch record.encryption {
        case .none:
            return nil
        case .aes256:
            return try WinZipAESEncryptor(password: password, salt: SecureRandom.bytes(WinZipAESKeys.saltLength))
        case .zipCrypto:
            return ZipCryptoEncryptor(
                password: password,
                checkByte: UInt8(truncatingIfNeeded: record.modified.time >> 8),
                random: SecureRandom.bytes(ZipCryptoEncryptor.headerLength - 1)
            )
        }
    }
}
