import Foundation
import RelayWire

/// Turns a `play` list into the audio a SIP call hears: speech from espeak-ng, WAV files from
/// the server's own `/files` or local paths, generated silence and ringtones. Nothing is
/// fetched from another host.
struct MediaRenderer: Sendable {
    /// The server's generated files (recordings), by path under `/files/`.
    var serverFile: @Sendable (String) async -> GeneratedFile?
    /// Local files larger than this are refused (a bound on memory).
    static let fileSizeLimit = 64 << 20

    struct Failure: Error, Equatable, CustomStringConvertible {
        /// The item that failed, counted from 0.
        var index: Int
        var reason: String
        var description: String { "play[\(index)]: \(reason)" }
    }

    /// Every item, one after the other, as one clip.
    func render(_ media: [Media]) async throws(Failure) -> AudioClip {
        var clip = AudioClip()
        for (index, item) in media.enumerated() {
            do {
                clip.samples += try await render(item).samples
            } catch {
                throw Failure(index: index, reason: error.description)
            }
            if clip.seconds >= AudioClip.longestSeconds { break }
        }
        return clip
    }

    struct ItemFailure: Error, CustomStringConvertible {
        var description: String
    }

    private func render(_ item: Media) async throws(ItemFailure) -> AudioClip {
        switch item {
        case .silence(let seconds):
            return .silence(seconds: seconds)
        case .ringtone(let name, let seconds):
            guard let cadence = Ringtones.cadence(name) else { throw ItemFailure(description: Ringtones.unknown(name)) }
            return ToneGenerator.ringtone(cadence, seconds: seconds ?? 3)
        case .tts(let text, let language, let gender):
            do {
                return try await SpeechSynthesizer.speak(text, language: language, gender: gender)
            } catch {
                throw ItemFailure(description: error.description)
            }
        case .audio(let url):
            let bytes = try await fetch(url)
            do {
                return try WAVFile.read(bytes)
            } catch {
                throw ItemFailure(description: "\(url): \(error.description)")
            }
        case .other(let type, _):
            throw ItemFailure(description: "media type '\(type)' has no audio")
        }
    }

    private func fetch(_ url: String) async throws(ItemFailure) -> [UInt8] {
        if url.hasPrefix("/") || url.hasPrefix("file://") {
            let path = url.hasPrefix("file://") ? String(url.dropFirst(7)) : url
            let decoded = path.removingPercentEncoding ?? path
            let size = (try? FileManager.default.attributesOfItem(atPath: decoded)[.size] as? Int) ?? nil
            guard let size else { throw ItemFailure(description: "\(decoded): no such file") }
            guard size <= Self.fileSizeLimit else { throw ItemFailure(description: "\(decoded): larger than \(Self.fileSizeLimit >> 20) MiB") }
            guard let data = FileManager.default.contents(atPath: decoded) else { throw ItemFailure(description: "\(decoded): unreadable") }
            return [UInt8](data)
        }
        guard let components = URLComponents(string: url), let host = components.host, ["http", "https"].contains(components.scheme ?? ""),
            RTPTapSender.isLoopback(host), components.path.hasPrefix("/files/")
        else {
            throw ItemFailure(description: "\(url) was not fetched: SIP calls play this server's /files and local paths only")
        }
        let name = String(components.path.dropFirst("/files/".count))
        guard let file = await serverFile(name.removingPercentEncoding ?? name) else { throw ItemFailure(description: "\(url): no such file on this server") }
        return file.bytes
    }
}
