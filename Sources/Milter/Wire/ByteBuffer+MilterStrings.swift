import NIOCore

extension ByteBuffer {
    /// Reads a NUL-terminated string and the NUL.
    /// - Throws: ``MilterProtocolError`` `.malformedPayload` when no NUL follows.
    mutating func readMilterCString(_ field: @autoclosure () -> String) throws -> String {
        guard let nul = readableBytesView.firstIndex(of: 0) else {
            throw MilterProtocolError(.malformedPayload, "\(field()) is not NUL-terminated")
        }
        let string = readString(length: nul - readerIndex)!
        moveReaderIndex(forwardBy: 1)
        return string
    }

    /// Reads a NUL-terminated byte string and the NUL as a slice (no copy), bytes as they are.
    mutating func readMilterCSlice(_ field: @autoclosure () -> String) throws -> ByteBuffer {
        guard let nul = readableBytesView.firstIndex(of: 0) else {
            throw MilterProtocolError(.malformedPayload, "\(field()) is not NUL-terminated")
        }
        let slice = readSlice(length: nul - readerIndex)!
        moveReaderIndex(forwardBy: 1)
        return slice
    }

    /// Reads NUL-terminated strings until the payload ends.
    mutating func readMilterArgv(_ field: @autoclosure () -> String) throws -> [String] {
        guard readableBytes > 0 else { return [] }
        var argv: [String] = []
        argv.reserveCapacity(4)
        while readableBytes > 0 {
            argv.append(try readMilterCString(field()))
        }
        return argv
    }

    /// Reads a big-endian `UInt32`.
    mutating func readMilterUInt32(_ field: @autoclosure () -> String) throws -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else {
            throw MilterProtocolError(.malformedPayload, "\(field()) is shorter than 4 bytes")
        }
        return value
    }

    /// Throws unless the payload has been read completely.
    func expectMilterPayloadEnd(_ what: @autoclosure () -> String) throws {
        if readableBytes > 0 {
            throw MilterProtocolError(
                .malformedPayload,
                "\(what()) is followed by \(readableBytes) unexpected byte(s)"
            )
        }
    }

    /// Writes a string and its terminating NUL.
    @discardableResult
    mutating func writeMilterCString(_ string: String) -> Int {
        let written = writeString(string)
        return written + writeInteger(UInt8(0))
    }

    /// Writes one frame: reserves the length, lets `body` write code and payload, then fills in the length.
    @discardableResult
    mutating func writeMilterFrame(code: UInt8, _ body: (inout ByteBuffer) -> Void) -> Int {
        let start = writerIndex
        writeInteger(UInt32(0))
        writeInteger(code)
        body(&self)
        let length = writerIndex - start - 4
        setInteger(UInt32(truncatingIfNeeded: length), at: start)
        return writerIndex - start
    }
}
