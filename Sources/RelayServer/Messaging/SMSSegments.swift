import RelayWire

/// Counts SMS segments the way carriers do: GSM-7 (160 per single, 153 per part, extension
/// characters count twice) unless a character needs UCS-2 (70 per single, 67 per part, UTF-16 units).
enum SMSSegments {
    private static let basic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    private static let extended: Set<Character> = Set("^{}\\[~]|€\u{0C}")

    static func count(body: String, hasMedia: Bool) -> Int {
        if body.isEmpty { return 1 }
        var septets = 0
        var gsm = true
        for character in body {
            if basic.contains(character) {
                septets += 1
            } else if extended.contains(character) {
                septets += 2
            } else {
                gsm = false
                break
            }
        }
        if gsm {
            return septets <= 160 ? 1 : (septets + 152) / 153
        }
        let units = body.utf16.count
        return units <= 70 ? 1 : (units + 66) / 67
    }
}
