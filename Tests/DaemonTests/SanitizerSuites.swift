import Testing

/// The copy sanitizer's suites, one test at a time: their bodies are synchronous and heavy
/// (corpus sweeps, AES archives), and several at once would hold every thread of the
/// cooperative pool on this 2-core machine, starving the timing tests of other suites.
@Suite(.serialized) enum SanitizerSuites {}
