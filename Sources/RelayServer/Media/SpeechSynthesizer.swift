import Foundation

/// Text to speech for SIP calls, with espeak-ng (a Debian package; `scripts/sip-deps.sh`
/// installs it). The synthesiser runs as a child process and nothing waits on a thread for it.
enum SpeechSynthesizer {
    static let executable = "/usr/bin/espeak-ng"
    /// Longer text is cut: a bound on the work one `play` can ask for.
    static let textLimit = 4000

    enum Failure: Error, CustomStringConvertible {
        case missing
        case failed(String)

        var description: String {
            switch self {
            case .missing: "TTS in SIP calls needs espeak-ng, which is not installed (apt-get install espeak-ng, or scripts/sip-deps.sh)"
            case .failed(let why): "espeak-ng failed: \(why)"
            }
        }
    }

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// `text` spoken in `language` (a Relay language such as `en-US`; unknown ones fall back to
    /// English) by a `gender` voice (`female` picks espeak-ng's female variant). SSML (`<speak>`)
    /// is honoured.
    static func speak(_ text: String, language: String?, gender: String?) async throws(Failure) -> AudioClip {
        guard isAvailable else { throw .missing }
        let voice = (language ?? "en-us").lowercased().filter { $0.isLetter || $0 == "-" }
        let variant = gender?.lowercased() == "female" ? "+f3" : ""
        do {
            return try await run(text: String(text.prefix(textLimit)), voice: voice + variant)
        } catch {
            // An unknown voice: say it in English rather than not at all.
            guard voice != "en-us" else { throw error }
            return try await run(text: String(text.prefix(textLimit)), voice: "en-us" + variant)
        }
    }

    private static func run(text: String, voice: String) async throws(Failure) -> AudioClip {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("relay-tts-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["-v", voice, "-w", output.path]
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("<") { arguments.append("-m") }
        process.arguments = arguments + ["--", text]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32
        do {
            status = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (exit: CheckedContinuation<Int32, any Error>) in
                    process.terminationHandler = { exit.resume(returning: $0.terminationStatus) }
                    do { try process.run() } catch { exit.resume(throwing: error) }
                }
            } onCancel: {
                process.terminate()
            }
        } catch {
            throw .failed("\(error)")
        }
        guard status == 0 else { throw .failed("exit status \(status) for voice \(voice)") }
        guard let data = FileManager.default.contents(atPath: output.path) else { throw .failed("no output") }
        do {
            return try WAVFile.read([UInt8](data))
        } catch {
            throw .failed("unreadable output: \(error)")
        }
    }
}
