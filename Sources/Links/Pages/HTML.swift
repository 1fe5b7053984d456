/// Building blocks of the pages: escaping and the shared layout (inline CSS, no scripts, no
/// external resources, so the strict Content-Security-Policy holds).
public enum HTML {
    /// Escapes text for HTML element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A whole page. `title` is plain text (escaped here); `body` is HTML already escaped.
    static func document(language: LinkLanguage, title: String, body: String, switcher: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex, nofollow">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main class="card">
        <h1>\(escape(title))</h1>
        \(body)
        </main>
        <footer>\(switcher)</footer>
        </body>
        </html>

        """
    }

    private static let style = """
        *{box-sizing:border-box}
        body{margin:0;padding:40px 16px;background:#f2f4f7;color:#1f2933;\
        font-family:"Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic UI","Meiryo",system-ui,sans-serif;\
        font-size:15px;line-height:1.6}
        .card{max-width:820px;margin:0 auto;background:#fff;border:1px solid #dde2e8;border-radius:10px;padding:28px 32px;\
        box-shadow:0 1px 3px rgba(16,24,40,.06)}
        h1{margin:0 0 16px;font-size:22px;font-weight:600}
        p{margin:8px 0}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 20px}
        dt{color:#616e7c}dd{margin:0;word-break:break-all}
        table{width:100%;border-collapse:collapse;margin:8px 0 16px}
        th{text-align:left;font-weight:600;color:#616e7c;font-size:13px;border-bottom:2px solid #e4e7eb;padding:8px}
        td{border-bottom:1px solid #e4e7eb;padding:10px 8px;vertical-align:middle}
        td.name{word-break:break-all;font-weight:500}
        td.num{white-space:nowrap}
        code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;color:#52606d}
        .button,button{display:inline-block;background:#1d4ed8;color:#fff;border:0;border-radius:6px;padding:7px 16px;\
        font:inherit;font-size:14px;text-decoration:none;cursor:pointer;white-space:nowrap}
        .button:hover,button:hover{background:#1e40af}
        button.danger{background:#b91c1c}
        .muted{color:#7b8794;font-size:13px}
        .done{color:#7b8794;white-space:nowrap}
        .password{display:flex;gap:12px;align-items:center;flex-wrap:wrap;background:#f8fafc;border:1px solid #e4e7eb;\
        border-radius:8px;padding:12px 16px;margin:0 0 12px}
        .password input{font:inherit;padding:6px 10px;border:1px solid #cbd2d9;border-radius:6px;min-width:220px}
        .notice{border-left:4px solid #1d4ed8;background:#f0f4ff;padding:10px 14px;border-radius:4px}
        .notice.error{border-color:#b91c1c;background:#fef2f2}
        footer{max-width:820px;margin:12px auto 0;text-align:right;font-size:13px}
        a{color:#1d4ed8}
        footer a{color:#52606d}
        """
}
