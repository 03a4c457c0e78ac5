/// The ringtones the Relay reference lists, by short country code, each with its tone and
/// cadence (approximately the national ringing tones of ITU-T E.180). The cadence is what a
/// timeline shows; a ringtone without `duration` still plays 3 s (MediaRules).
enum Ringtones {
    struct Cadence: Equatable {
        /// Tone frequencies in Hz (two for a dual tone).
        let hertz: [Int]
        /// Alternating on and off seconds, starting with on.
        let pattern: [Double]

        var text: String {
            let tone = hertz.map(String.init).joined(separator: "+") + " Hz"
            let steps = pattern.enumerated().map { "\($0.element)s \($0.offset % 2 == 0 ? "on" : "off")" }
            return tone + ", " + steps.joined(separator: " ")
        }
    }

    private static let single = [1.0, 4.0]
    private static let double = [0.4, 0.2, 0.4, 2.0]

    static let cadences: [String: Cadence] = [
        "at": Cadence(hertz: [420], pattern: [1, 5]), "au": Cadence(hertz: [400, 425], pattern: double),
        "bg": Cadence(hertz: [425], pattern: single), "br": Cadence(hertz: [425], pattern: single),
        "be": Cadence(hertz: [425], pattern: [1, 3]), "ch": Cadence(hertz: [425], pattern: single),
        "cl": Cadence(hertz: [400], pattern: [1, 3]), "cn": Cadence(hertz: [450], pattern: single),
        "cz": Cadence(hertz: [425], pattern: single), "de": Cadence(hertz: [425], pattern: single),
        "dk": Cadence(hertz: [425], pattern: single), "ee": Cadence(hertz: [425], pattern: single),
        "es": Cadence(hertz: [425], pattern: [1.5, 3]), "fi": Cadence(hertz: [425], pattern: single),
        "fr": Cadence(hertz: [440], pattern: [1.5, 3.5]), "gr": Cadence(hertz: [425], pattern: single),
        "hu": Cadence(hertz: [425], pattern: [1.25, 3.75]), "il": Cadence(hertz: [400], pattern: [1, 3]),
        "in": Cadence(hertz: [375, 425], pattern: double), "it": Cadence(hertz: [425], pattern: single),
        "lt": Cadence(hertz: [425], pattern: single), "jp": Cadence(hertz: [400], pattern: [1, 2]),
        "mx": Cadence(hertz: [425], pattern: single), "my": Cadence(hertz: [425], pattern: double),
        "nl": Cadence(hertz: [425], pattern: single), "no": Cadence(hertz: [425], pattern: single),
        "nz": Cadence(hertz: [400, 450], pattern: double), "ph": Cadence(hertz: [425, 480], pattern: single),
        "pl": Cadence(hertz: [425], pattern: single), "pt": Cadence(hertz: [425], pattern: [1, 5]),
        "ru": Cadence(hertz: [425], pattern: [0.8, 3.2]), "se": Cadence(hertz: [425], pattern: [1, 5]),
        "sg": Cadence(hertz: [425], pattern: double), "th": Cadence(hertz: [420], pattern: [1, 5]),
        "uk": Cadence(hertz: [400, 450], pattern: double), "us": Cadence(hertz: [440, 480], pattern: [2, 4]),
        "tw": Cadence(hertz: [440, 480], pattern: [1, 2]), "ve": Cadence(hertz: [425], pattern: single),
        "za": Cadence(hertz: [400, 433], pattern: double),
    ]

    /// The names, in the reference's order.
    static let names = [
        "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi", "fr", "gr", "hu", "il", "in", "it", "lt",
        "jp", "mx", "my", "nl", "no", "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "uk", "us", "tw", "ve", "za",
    ]

    /// The cadence of `name` (case-insensitive), or `nil` for a name the reference does not list.
    static func cadence(_ name: String) -> Cadence? { cadences[name.lowercased()] }

    static func unknown(_ name: String) -> String {
        "unknown ringtone '\(name)': use one of \(names.joined(separator: ", "))"
    }
}
