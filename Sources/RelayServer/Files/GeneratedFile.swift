import Foundation

/// Files the server generates and serves over HTTP.
enum GeneratedFile: Sendable {
    /// 8 kHz 16-bit PCM WAV with a quiet 440 Hz tone.
    case wav(seconds: Double, channels: Int)
    /// A minimal PDF with one page per fax page.
    case pdf(pages: Int, title: String)
    /// A SIP call's real audio, as written (``WAVFile``).
    case recording(wav: [UInt8])

    static let sampleRate = 8000

    /// Size in bytes of a WAV of this length (44-byte header + PCM).
    static func wavSize(seconds: Double, channels: Int) -> Int {
        44 + Int((seconds * Double(sampleRate)).rounded()) * 2 * channels
    }

    var contentType: String {
        switch self {
        case .wav, .recording: "audio/wav"
        case .pdf: "application/pdf"
        }
    }

    var bytes: [UInt8] {
        switch self {
        case .wav(let seconds, let channels): Self.makeWAV(seconds: seconds, channels: channels)
        case .pdf(let pages, let title): Self.makePDF(pages: pages, title: title)
        case .recording(let wav): wav
        }
    }

    private static func makeWAV(seconds: Double, channels: Int) -> [UInt8] {
        let frames = Int((seconds * Double(sampleRate)).rounded())
        let tone = (0..<frames).map { Int16(sin(Double($0) * 2 * Double.pi * 440 / Double(sampleRate)) * 2000) }
        return WAVFile.bytes(tone, right: channels == 2 ? tone : nil)
    }

    private static func makePDF(pages: Int, title: String) -> [UInt8] {
        let safeTitle = title.filter { $0.isASCII && $0 != "(" && $0 != ")" && $0 != "\\" }
        var objects: [String] = []
        let pageCount = max(1, pages)
        // 1: catalog, 2: pages, 3: font, then (page, content) pairs.
        let kids = (0..<pageCount).map { "\(4 + $0 * 2) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pageCount) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        for page in 0..<pageCount {
            let text = "BT /F1 18 Tf 72 720 Td (\(safeTitle) - page \(page + 1) of \(pageCount)) Tj ET"
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents \(5 + page * 2) 0 R >>")
            objects.append("<< /Length \(text.utf8.count) >>\nstream\n\(text)\nendstream")
        }
        var body = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(body.utf8.count)
            body += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = body.utf8.count
        body += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let padded = String(offset)
            body += String(repeating: "0", count: max(0, 10 - padded.count)) + padded + " 00000 n \n"
        }
        body += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(body.utf8)
    }
}
