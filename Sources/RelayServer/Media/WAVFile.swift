/// Reads and writes RIFF WAV: PCM (8- or 16-bit), A-law and µ-law, mono or stereo, any rate.
/// What plays in a SIP call and what a SIP recording is written as.
enum WAVFile {
    enum ReadError: Error, CustomStringConvertible, Equatable {
        case notWAV
        case unsupported(String)

        var description: String {
            switch self {
            case .notWAV: "not a WAV file (RIFF/WAVE)"
            case .unsupported(let what): "unsupported WAV: \(what); use PCM, A-law or µ-law"
            }
        }
    }

    /// The file's audio as 8 kHz mono (channels averaged).
    static func read(_ bytes: [UInt8]) throws(ReadError) -> AudioClip {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else { throw .notWAV }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let size = u32(offset + 4)
            let body = offset + 8
            if bytes[offset..<offset + 4].elementsEqual("fmt ".utf8), size >= 16, body + 16 <= bytes.count {
                var tag = u16(body)
                // WAVE_FORMAT_EXTENSIBLE: the real tag starts the sub-format GUID.
                if tag == 0xFFFE, size >= 40, body + 26 <= bytes.count { tag = u16(body + 24) }
                format = (tag, u16(body + 2), u32(body + 4), u16(body + 14))
            } else if bytes[offset..<offset + 4].elementsEqual("data".utf8) {
                guard let format else { throw .unsupported("the data chunk comes before fmt") }
                // Streamed WAVs (espeak-ng --stdout) give a huge size: the data ends with the file.
                let end = min(bytes.count, body + size)
                return try decode(bytes[body..<end], format: format)
            }
            offset = body + size + (size & 1)
        }
        throw .notWAV
    }

    private static func decode(_ data: ArraySlice<UInt8>, format: (tag: Int, channels: Int, rate: Int, bits: Int)) throws(ReadError) -> AudioClip {
        guard (1...8).contains(format.channels) else { throw .unsupported("\(format.channels) channels") }
        guard (1000...192_000).contains(format.rate) else { throw .unsupported("\(format.rate) Hz") }
        let bytesPerSample: Int
        let sample: (ArraySlice<UInt8>, Int) -> Int16
        switch (format.tag, format.bits) {
        case (1, 16):
            bytesPerSample = 2
            sample = { data, at in Int16(bitPattern: UInt16(data[at]) | UInt16(data[at + 1]) << 8) }
        case (1, 8):
            bytesPerSample = 1
            sample = { data, at in Int16((Int(data[at]) - 128) << 8) }
        case (6, 8):
            bytesPerSample = 1
            sample = { data, at in G711.linear(aLaw: data[at]) }
        case (7, 8):
            bytesPerSample = 1
            sample = { data, at in G711.linear(muLaw: data[at]) }
        default:
            throw .unsupported("format \(format.tag), \(format.bits) bits")
        }
        let frameSize = bytesPerSample * format.channels
        // Bound the work before resampling: at most AudioClip.longestSeconds of input.
        let frames = min(data.count / frameSize, Int(AudioClip.longestSeconds) * format.rate)
        var mono = [Int16]()
        mono.reserveCapacity(frames)
        var at = data.startIndex
        for _ in 0..<frames {
            var sum = 0
            for channel in 0..<format.channels { sum += Int(sample(data, at + channel * bytesPerSample)) }
            mono.append(Int16(sum / format.channels))
            at += frameSize
        }
        return AudioClip(resampling: mono, from: format.rate)
    }

    /// 16-bit PCM WAV at 8 kHz. With `right`, a stereo file (left: `samples`, right: `right`).
    static func bytes(_ samples: [Int16], right: [Int16]? = nil) -> [UInt8] {
        let channels = right == nil ? 1 : 2
        let frames = max(samples.count, right?.count ?? 0)
        let dataSize = frames * 2 * channels
        var out: [UInt8] = []
        out.reserveCapacity(44 + dataSize)
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian) { out.append(contentsOf: $0) } }
        func u16(_ value: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8))
        u32(36 + dataSize)
        out.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16)
        u16(1)
        u16(channels)
        u32(AudioClip.sampleRate)
        u32(AudioClip.sampleRate * 2 * channels)
        u16(2 * channels)
        u16(16)
        out.append(contentsOf: Array("data".utf8))
        u32(dataSize)
        for frame in 0..<frames {
            let left = frame < samples.count ? samples[frame] : 0
            withUnsafeBytes(of: left.littleEndian) { out.append(contentsOf: $0) }
            if let right {
                let value = frame < right.count ? right[frame] : 0
                withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }
}
