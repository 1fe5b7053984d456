import Testing

@testable import ZipArchive
