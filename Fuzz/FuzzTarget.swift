// libFuzzer target for the wire module: every input goes through the JSON reader, the Blade
// frame, the broadcast envelope and every typed `init(json:)` (WireDecoders, shared with the
// Swift Testing fuzz test). Built by scripts/fuzz.sh as one module with Sources/RelayWire.
//
// A crash, a stack overflow, a sanitizer report or a value that changes through
// serialize → parse is a finding; libFuzzer saves the input as crash-<sha1>.

nonisolated(unsafe) var tally = WireDecoders.Tally()

@_cdecl("LLVMFuzzerTestOneInput")
public func relayWireFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let mismatchesBefore = tally.roundTripMismatches
    WireDecoders.feed(UnsafeRawBufferPointer(start: data, count: size), into: &tally)
    if tally.roundTripMismatches != mismatchesBefore {
        fatalError("serialize → parse changed the value: \(tally.mismatchSamples.last ?? "")")
    }
    return 0
}
