import MailMessage

/// The names and declared types that make a file risky, whatever its content.
extension RiskyAttachment {
    /// Programs, scripts, installers, shortcuts, disk images and packages (with the project's
    /// list of extensions that run code, ``SafeFilename/executableExtensions``).
    static let executableExtensions: Set<String> = SafeFilename.executableExtensions.union([
        "exe", "com", "scr", "pif", "bat", "cmd", "vbs", "vbe", "vb", "js", "jse", "mjs", "wsf", "wsh", "ws", "wsc", "ps1",
        "psm1", "psd1", "ps1xml", "ps2", "ps2xml", "psc1", "psc2", "msh", "msh1", "msh2", "mshxml", "msi", "msp", "mst",
        "dll", "cpl", "hta", "lnk", "url", "reg", "jar", "jnlp", "apk", "app", "dmg", "pkg", "iso", "img", "vhd", "vhdx",
        "chm", "sh", "bash", "zsh", "csh", "ksh", "command", "appx", "appxbundle", "msix", "msixbundle", "appinstaller",
        "xbap", "scf", "sct", "ade", "adp", "mde", "mda", "ins", "isp", "job", "efi", "elf", "dex", "xll",
    ])

    /// Files a browser or mail client renders with scripts and links (HTML smuggling): risky as
    /// attachments (kind `executable`), not as the pictures inside an Office document.
    static let activeDocumentExtensions: Set<String> = ["html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "mht", "mhtml", "one"]

    /// Names of documents that are ZIPs inside (OOXML, OpenDocument, EPUB): only with one of
    /// these names or types is a ZIP with a document's entries a document, not an archive.
    static let zipDocumentExtensions: Set<String> = [
        "docx", "dotx", "xlsx", "xltx", "pptx", "potx", "ppsx", "sldx", "vsdx", "odt", "ods", "odp", "odg", "odf", "ott", "ots",
        "otp", "epub", "docm", "dotm", "xlsm", "xltm", "xlsb", "xlam", "pptm", "potm", "ppsm", "ppam", "sldm",
    ]

    /// Office formats that carry VBA macros.
    static let macroExtensions: Set<String> = [
        "docm", "dotm", "xlsm", "xltm", "xlsb", "xlam", "xla", "xlm", "pptm", "potm", "ppsm", "ppam", "sldm",
    ]

    /// Archives and compressed files.
    static let archiveExtensions: Set<String> = [
        "zip", "zipx", "7z", "rar", "gz", "gzip", "tgz", "bz2", "tbz", "tbz2", "xz", "txz", "lz", "lzma", "tar", "cab",
        "lzh", "lha", "zst", "zstd", "z", "arj", "ace",
    ]

    /// Declared types of programs and scripts.
    static let executableTypes: Set<String> = [
        "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec", "application/x-ms-dos-executable",
        "application/vnd.microsoft.portable-executable", "application/x-executable", "application/x-elf",
        "application/x-mach-binary", "application/x-sharedlib", "application/x-sh", "application/x-shellscript",
        "text/x-shellscript", "text/x-sh", "application/x-csh", "application/x-bat", "application/bat", "application/x-msi",
        "application/x-ms-installer", "application/x-ms-application", "application/x-ms-shortcut", "application/java-archive",
        "application/x-java-archive", "application/x-java-jnlp-file", "application/vnd.android.package-archive",
        "application/hta", "application/javascript", "application/x-javascript", "text/javascript", "application/ecmascript",
        "text/ecmascript", "text/vbscript", "application/x-vbscript", "application/x-powershell", "text/x-powershell",
        "application/x-iso9660-image", "application/x-apple-diskimage", "application/vnd.ms-htmlhelp", "application/x-chm",
        "text/html", "application/xhtml+xml", "image/svg+xml", "multipart/related+mhtml", "application/x-mimearchive",
    ]

    /// Declared types of archives and compressed files.
    static let archiveTypes: Set<String> = [
        "application/zip", "application/x-zip", "application/x-zip-compressed", "application/x-7z-compressed",
        "application/x-rar", "application/x-rar-compressed", "application/vnd.rar", "application/gzip", "application/x-gzip",
        "application/x-gtar", "application/x-tar", "application/x-bzip", "application/x-bzip2", "application/x-xz",
        "application/x-lzh-compressed", "application/x-lzh", "application/x-lha", "application/vnd.ms-cab-compressed",
        "application/zstd", "application/x-zstd", "application/x-compressed", "application/x-compress", "application/x-arj",
        "application/x-ace-compressed", "application/x-lzma", "application/x-lzip",
    ]

    /// Declared types of encrypted messages.
    static let encryptedTypes: Set<String> = [
        "application/pkcs7-mime", "application/x-pkcs7-mime", "application/pgp-encrypted",
    ]
}
