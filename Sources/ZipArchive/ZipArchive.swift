// TEMPORARY API stub while the writer is built on branch `zip`; replaced by the merge.
import Foundation

public enum ZipEncryption: String, Sendable, CaseIterable { case none, aes256, zipCrypto = "zipcrypto" }

public struct ZipEntryName: Sendable, Equatable {
    public let bytes: [UInt8]
    public let isUTF8: Bool
    public init(utf8 name: String) { bytes = Array(name.utf8); isUTF8 = true }
    public init(bytes: [UInt8], isUTF8: Bool) { self.bytes = bytes; self.isUTF8 = isUTF8 }
}

public protocol ZipOutput: AnyObject {
    var offset: UInt64 { get }
    func append(_ bytes: UnsafeRawBufferPointer) throws
    func overwrite(at offset: UInt64, with bytes: [UInt8]) throws
}

public final class ZipFileOutput: ZipOutput {
    public var offset: UInt64 { 0 }
    public init(fileDescriptor: Int32) {}
    public convenience init(path: String) throws { self.init(fileDescriptor: -1) }
    public func close() throws {}
    public func append(_ bytes: UnsafeRawBufferPointer) throws {}
    public func overwrite(at offset: UInt64, with bytes: [UInt8]) throws {}
}

public final class ZipMemoryOutput: ZipOutput {
    public private(set) var bytes: [UInt8] = []
    public var offset: UInt64 { UInt64(bytes.count) }
    public init() {}
    public func append(_ bytes: UnsafeRawBufferPointer) throws { self.bytes += bytes }
    public func overwrite(at offset: UInt64, with bytes: [UInt8]) throws {}
}

public struct ZipWriterOptions: Sendable {
    public var encryption: ZipEncryption = .aes256
    public var compressionLevel: Int32 = 6
    public var forceZip64 = false
    public init(encryption: ZipEncryption = .aes256, compressionLevel: Int32 = 6, forceZip64: Bool = false) {
        self.encryption = encryption
        self.compressionLevel = compressionLevel
        self.forceZip64 = forceZip64
    }
}

public struct ZipError: Error, CustomStringConvertible, Sendable { public var description: String }

public final class ZipWriter {
    public init(output: any ZipOutput, password: [UInt8], options: ZipWriterOptions) throws {}
    public func beginEntry(_ name: ZipEntryName, modified: Date, sizeHint: UInt64?) throws {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws {}
    public func write(_ bytes: [UInt8]) throws {}
    public func endEntry() throws {}
    public func finish() throws {}
}
