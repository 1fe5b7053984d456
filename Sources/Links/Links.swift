/// Download links for attachments (docs/filters/link.md).
public enum Links {}
