/// Writing ZIP archives for the attachment-protection filters (docs/zip.md).
public enum ZipArchive {}
