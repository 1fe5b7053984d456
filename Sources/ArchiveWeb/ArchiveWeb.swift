import Archive

/// The archive's web UI (see docs/archive.md): built in this target.
public enum ArchiveWeb {}
