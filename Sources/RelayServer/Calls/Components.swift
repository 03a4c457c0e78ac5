import RelayWire

// Long-running components of a call, keyed by control_id: play, prompt, record, detect, fax,
// send_digits and tap. Each schedules its next step on the scaled clock; a timer only acts
// while the component's `token` is unchanged, so stop/pause invalidate pending timers.
extension RelayHub {
    /// Validates a new `control_id`; returns it, or the failure to answer with.
    func newControlID(_ params: JSONValue, _ call: CallRecord) -> (String?, CommandOutcome?) {
        guard let controlID = params["control_id"]?.stringValue, !controlID.isEmpty else {
            return (nil, .failure("400", "Missing 'control_id'"))
        }
        if let existing = call.components[controlID], !existing.done {
            return (nil, .failure("400", "control_id '\(controlID)' is already in use on this call"))
        }
        return (controlID, nil)
    }

    /// Schedules `step` for a component, guarded by its current token.
    func componentTimer(_ call: CallRecord, _ controlID: String, after seconds: Double, _ step: @escaping @Sendable (isolated RelayHub, CallRecord) -> Void) {
        guard let token = call.components[controlID]?.token else { return }
        let callID = call.id
        schedule(after: seconds) { hub in
            guard let call = hub.calls[callID], let component = call.components[controlID], !component.done, component.token == token,
                !call.isOver
            else { return }
            step(hub, call)
        }
    }

    func finish(_ call: CallRecord, _ controlID: String) {
        call.components[controlID]?.done = true
        call.components[controlID]?.token += 1
        call.components[controlID]?.tapSwitch?.stop()
    }

    func recordingDuration(url: String) -> Double? { recordingDurations[url] }

    // MARK: - Play

    func play(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        guard let media = params["play"]?.arrayValue, !media.isEmpty else { return .failure("400", "Missing 'play' (array of media)") }
        var total = 0.0
        for (index, item) in media.enumerated() {
            guard let seconds = MediaRules.duration(of: item, recordings: { self.recordingDuration(url: $0) }) else {
                return .failure("400", "Invalid media: play[\(index)] must be audio {url}, tts {text}, silence {duration} or ringtone {name}")
            }
            total += seconds
        }
        var component = Component(controlID: controlID, kind: .play)
        component.volume = params["volume"]?.doubleValue ?? 0
        component.finishAt = clock.now + total
        component.params = params
        return .ok(
            "Playing", ["control_id": .string(controlID), "call_id": .string(call.id)],
            after: {
                call.components[controlID] = component
                call.log(self.clock.now, "play", "playing " + media.map(MediaRules.describe).joined(separator: ", "), .array(media))
                self.emitComponent(call, RelayEventName.callPlay, controlID, ["state": "playing"])
                self.componentTimer(call, controlID, after: total) { hub, call in
                    hub.finish(call, controlID)
                    call.log(hub.clock.now, "play", "finished")
                    hub.emitComponent(call, RelayEventName.callPlay, controlID, ["state": "finished"])
                }
            })
    }

    func pausePlay(_ call: CallRecord, _ controlID: String, pause: Bool) -> CommandOutcome {
        guard var component = call.components[controlID] else { return .noComponent }
        if pause {
            guard !component.paused else { return .ok("Paused") }
            component.paused = true
            component.remaining = max(0, component.finishAt - clock.now)
            component.token += 1
            call.components[controlID] = component
            call.log(clock.now, "play", "paused")
            return .ok("Paused")
        }
        guard component.paused else { return .ok("Resumed") }
        component.paused = false
        component.finishAt = clock.now + component.remaining
        call.components[controlID] = component
        call.log(clock.now, "play", "resumed")
        let remaining = component.remaining
        return .ok(
            "Resumed",
            after: {
                self.componentTimer(call, controlID, after: remaining) { hub, call in
                    hub.finish(call, controlID)
                    call.log(hub.clock.now, "play", "finished")
                    hub.emitComponent(call, RelayEventName.callPlay, controlID, ["state": "finished"])
                }
            })
    }

    // MARK: - Stop / terminate

    func stopComponent(_ call: CallRecord, _ controlID: String) -> CommandOutcome {
        .ok("Stop ok", after: { self.terminateComponent(call, controlID, byHangup: false) })
    }

    /// Sends the terminal event of a component that is stopped or whose call ends.
    func terminateComponent(_ call: CallRecord, _ controlID: String, byHangup: Bool) {
        guard let component = call.components[controlID], !component.done else { return }
        finish(call, controlID)
        let why = byHangup ? "call ended" : "stopped"
        switch component.kind {
        case .play:
            call.log(clock.now, "play", "finished (\(why))")
            emitComponent(call, RelayEventName.callPlay, controlID, ["state": byHangup ? "error" : "finished"])
        case .collect:
            call.log(clock.now, "collect", "no input (\(why))")
            emitComponent(call, RelayEventName.callCollect, controlID, ["result": ["type": "no_input"]])
        case .record:
            finishRecording(call, controlID, component: component, why: why)
        case .detect:
            call.log(clock.now, "detect", "finished (\(why))")
            emitComponent(
                call, RelayEventName.callDetect, controlID, ["detect": ["type": .string(component.detectType), "params": ["event": "finished"]]])
        case .sendFax, .receiveFax:
            call.log(clock.now, "fax", "finished unsuccessfully (\(why)) after \(component.pages) page(s)")
            emitComponent(
                call, RelayEventName.callFax, controlID,
                ["fax": ["type": "finished", "params": faxFinishedParams(call, component, success: false, text: "Fax \(why)")]])
        case .tap:
            call.log(clock.now, "tap", "finished (\(why))")
            emitComponent(call, RelayEventName.callTap, controlID, tapEventParams(component, state: "finished"))
        case .sendDigits:
            call.log(clock.now, "send_digits", "finished (\(why))")
            emitComponent(call, RelayEventName.callSendDigits, controlID, ["state": "finished"])
        }
    }

    // MARK: - Prompt (play_and_collect)

    func playAndCollect(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        guard let media = params["play"]?.arrayValue, !media.isEmpty else { return .failure("400", "Missing 'play' (array of media)") }
        guard let collect = params["collect"], collect.objectValue != nil else { return .failure("400", "Missing 'collect'") }
        let digits = collect["digits"]
        let speech = collect["speech"]
        guard digits?.objectValue != nil || speech?.objectValue != nil else {
            return .failure("400", "'collect' needs 'digits' and/or 'speech'")
        }
        var total = 0.0
        for (index, item) in media.enumerated() {
            guard let seconds = MediaRules.duration(of: item, recordings: { self.recordingDuration(url: $0) }) else {
                return .failure("400", "Invalid media: play[\(index)] must be audio {url}, tts {text}, silence {duration} or ringtone {name}")
            }
            total += seconds
        }
        var component = Component(controlID: controlID, kind: .collect)
        component.params = params
        component.volume = params["volume"]?.doubleValue ?? 0
        let initialTimeout = collect["initial_timeout"]?.doubleValue ?? 5
        return .ok(
            "Prompting", ["control_id": .string(controlID), "call_id": .string(call.id)],
            after: {
                call.components[controlID] = component
                call.log(self.clock.now, "play", "prompt playing " + media.map(MediaRules.describe).joined(separator: ", "), .array(media))
                self.componentTimer(call, controlID, after: total) { hub, call in
                    hub.collectInput(call, controlID, digits: digits, speech: speech, initialTimeout: initialTimeout)
                }
            })
    }

    /// After the prompt played: the far end keys digits, speaks, or stays silent.
    func collectInput(_ call: CallRecord, _ controlID: String, digits: JSONValue?, speech: JSONValue?, initialTimeout: Double) {
        call.log(clock.now, "play", "prompt finished; collecting")
        if let digits, digits.objectValue != nil, let keys = call.nextDigits() {
            let maximum = digits["max"]?.intValue ?? max(1, keys.count)
            let terminators = digits["terminators"]?.stringValue ?? ""
            var collected = ""
            var terminator = ""
            var pressed = 0
            for key in keys {
                pressed += 1
                if terminators.contains(key) {
                    terminator = String(key)
                    break
                }
                collected.append(key)
                if collected.count >= maximum { break }
            }
            let complete = !terminator.isEmpty || collected.count >= maximum
            let wait = Double(pressed) * 0.3 + (complete ? 0 : digits["digit_timeout"]?.doubleValue ?? 5)
            let digitsResult = collected
            let terminatorResult = terminator
            componentTimer(call, controlID, after: wait) { hub, call in
                hub.finish(call, controlID)
                if digitsResult.isEmpty && terminatorResult.isEmpty {
                    call.log(hub.clock.now, "collect", "no input")
                    hub.emitComponent(call, RelayEventName.callCollect, controlID, ["result": ["type": "no_input"]])
                    return
                }
                call.log(hub.clock.now, "collect", "digits \(digitsResult)" + (terminatorResult.isEmpty ? "" : " (terminator \(terminatorResult))"))
                hub.emitComponent(
                    call, RelayEventName.callCollect, controlID,
                    ["result": ["type": "digit", "params": ["digits": .string(digitsResult), "terminator": .string(terminatorResult)]]])
            }
            return
        }
        if let speech, speech.objectValue != nil, let words = call.nextSpeech() {
            let wordCount = words.split(separator: " ").count
            let wait = 0.5 + Double(wordCount) * 0.4 + (speech["end_silence_timeout"]?.doubleValue ?? 1)
            componentTimer(call, controlID, after: wait) { hub, call in
                hub.finish(call, controlID)
                call.log(hub.clock.now, "collect", "speech \"\(words)\"")
                hub.emitComponent(
                    call, RelayEventName.callCollect, controlID,
                    ["result": ["type": "speech", "params": ["text": .string(words), "confidence": 92.5]]])
            }
            return
        }
        componentTimer(call, controlID, after: initialTimeout) { hub, call in
            hub.finish(call, controlID)
            call.log(hub.clock.now, "collect", "no input")
            hub.emitComponent(call, RelayEventName.callCollect, controlID, ["result": ["type": "no_input"]])
        }
    }

    // MARK: - Record

    func record(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        guard let record = params["record"], record.objectValue != nil else { return .failure("400", "Missing 'record'") }
        let audio = record["audio"] ?? .object([:])
        guard audio.objectValue != nil else { return .failure("400", "'record.audio' must be an object") }
        if let format = audio["format"]?.stringValue, format != "mp3", format != "wav" {
            return .failure("400", "Invalid record format '\(format)': use mp3 or wav")
        }
        if let direction = audio["direction"]?.stringValue, !["listen", "speak", "both"].contains(direction) {
            return .failure("400", "Invalid record direction '\(direction)': use listen, speak or both")
        }
        let url = "\(baseURL)/files/recordings/\(controlID).wav"
        var component = Component(controlID: controlID, kind: .record)
        component.params = record
        component.url = url
        component.channels = audio["stereo"]?.boolValue == true ? 2 : 1
        component.startedAt = clock.now
        let initialTimeout = audio["initial_timeout"]?.doubleValue ?? 5
        let endSilence = audio["end_silence_timeout"]?.doubleValue ?? 1
        let talk = call.behavior.kind == .fax ? 0 : call.behavior.messageSeconds
        return .ok(
            "Recording", ["url": .string(url), "control_id": .string(controlID), "call_id": .string(call.id)],
            after: {
                component.startedAt = self.clock.now
                call.components[controlID] = component
                call.log(self.clock.now, "record", "recording" + (audio["beep"]?.boolValue == true ? " (beep)" : ""), record)
                self.emitComponent(
                    call, RelayEventName.callRecord, controlID, ["state": "recording", "url": .string(url), "record": record])
                if talk <= 0 {
                    self.componentTimer(call, controlID, after: initialTimeout) { hub, call in
                        hub.finish(call, controlID)
                        call.log(hub.clock.now, "record", "no input")
                        hub.emitComponent(
                            call, RelayEventName.callRecord, controlID, ["state": "no_input", "url": .string(url), "record": record])
                    }
                } else {
                    self.componentTimer(call, controlID, after: talk + endSilence) { hub, call in
                        guard let component = call.components[controlID] else { return }
                        hub.finishRecording(call, controlID, component: component, why: "end of speech")
                    }
                }
            })
    }

    func finishRecording(_ call: CallRecord, _ controlID: String, component: Component, why: String) {
        finish(call, controlID)
        let duration = ((clock.now - component.startedAt) * 100).rounded() / 100
        let size = GeneratedFile.wavSize(seconds: duration, channels: component.channels)
        files["recordings/\(controlID).wav"] = .wav(seconds: duration, channels: component.channels)
        recordingDurations[component.url] = duration
        call.log(clock.now, "record", "finished (\(why)): \(duration)s, \(size) bytes at \(component.url)")
        emitComponent(
            call, RelayEventName.callRecord, controlID,
            [
                "state": "finished", "url": .string(component.url), "duration": .double(duration), "size": .int(size),
                "record": component.params,
            ])
    }

    // MARK: - Detect

    func detect(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        guard let detect = params["detect"], let type = detect["type"]?.stringValue else {
            return .failure("400", "Missing 'detect.type' (machine, fax or digit)")
        }
        guard ["machine", "fax", "digit"].contains(type) else { return .failure("400", "Invalid detect type '\(type)': use machine, fax or digit") }
        let detectParams = detect["params"] ?? .object([:])
        let timeout = params["timeout"]?.doubleValue ?? 30
        var component = Component(controlID: controlID, kind: .detect)
        component.detectType = type
        component.params = detect
        return .ok(
            "Detecting", ["control_id": .string(controlID), "call_id": .string(call.id)],
            after: {
                call.components[controlID] = component
                call.log(self.clock.now, "detect", "detecting \(type)", detect)
                var plan: [(Double, String)] = []
                switch type {
                case "machine":
                    switch call.behavior.kind {
                    case .human: plan = [(1.5, "HUMAN")]
                    case .machine:
                        let greeting = max(2.6, call.behavior.greetingSeconds)
                        plan = [(1.5, "MACHINE"), (2.5, "NOT_READY"), (greeting, "READY")]
                    case .fax: plan = [(1.5, "UNKNOWN")]
                    }
                case "fax":
                    if call.behavior.kind == .fax {
                        let tone = call.direction == "outbound" ? "CED" : "CNG"
                        if let wanted = detectParams["tone"]?.stringValue, wanted != tone {
                            plan = []
                        } else {
                            plan = [(1, tone)]
                        }
                    }
                default:
                    if let keys = call.nextDigits() {
                        let allowed = detectParams["digits"]?.stringValue
                        var at = 1.0
                        for key in keys where allowed.map({ $0.contains(key) }) ?? true {
                            plan.append((at, String(key)))
                            at += 0.3
                        }
                    }
                }
                for (at, event) in plan where at < timeout {
                    self.componentTimer(call, controlID, after: at) { hub, call in
                        call.log(hub.clock.now, "detect", "\(type): \(event)")
                        hub.emitComponent(call, RelayEventName.callDetect, controlID, ["detect": ["type": .string(type), "params": ["event": .string(event)]]])
                    }
                }
                self.componentTimer(call, controlID, after: timeout) { hub, call in
                    hub.finish(call, controlID)
                    call.log(hub.clock.now, "detect", "finished (timeout)")
                    hub.emitComponent(call, RelayEventName.callDetect, controlID, ["detect": ["type": .string(type), "params": ["event": "finished"]]])
                }
            })
    }

    // MARK: - Fax

    func faxFinishedParams(_ call: CallRecord, _ component: Component, success: Bool, text: String) -> JSONValue {
        let outbound = call.direction == "outbound"
        return [
            "direction": .string(component.kind == .sendFax ? "send" : "receive"),
            "identity": .string(outbound ? call.from : call.to),
            "remote_identity": .string(outbound ? call.to : call.from),
            "document": .string(component.document),
            "pages": .int(component.pages),
            "success": .bool(success),
            "result": .int(success ? 0 : 1),
            "result_text": .string(text),
            "format": "T.4",
        ]
    }

    func fax(_ call: CallRecord, _ params: JSONValue, sending: Bool) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        var component = Component(controlID: controlID, kind: sending ? .sendFax : .receiveFax)
        if sending {
            guard let document = params["document"]?.stringValue, document.hasPrefix("http://") || document.hasPrefix("https://") else {
                return .failure("400", "Missing or invalid 'document' (an http(s) URL of a PDF)")
            }
            component.document = document
            var pages = 1
            if let range = document.range(of: "pages=") {
                pages = Int(document[range.upperBound...].prefix { $0.isNumber }) ?? 1
            } else if let name = document.split(separator: "/").last, case .pdf(let count, _) = files["faxes/\(name)"] {
                pages = count
            }
            component.totalPages = max(1, pages)
        } else {
            component.document = "\(baseURL)/files/faxes/\(controlID).pdf"
            component.totalPages = call.behavior.faxPages
        }
        let remoteIsFax = call.behavior.kind == .fax
        return .ok(
            sending ? "Sending fax" : "Receiving fax", ["control_id": .string(controlID), "call_id": .string(call.id)],
            after: {
                call.components[controlID] = component
                call.log(self.clock.now, "fax", sending ? "sending \(component.document)" : "waiting for a fax", params)
                guard remoteIsFax else {
                    self.componentTimer(call, controlID, after: sending ? 5 : 10) { hub, call in
                        guard let component = call.components[controlID] else { return }
                        hub.finish(call, controlID)
                        call.log(hub.clock.now, "fax", "failed: the far end is not a fax machine")
                        hub.emitComponent(
                            call, RelayEventName.callFax, controlID,
                            ["fax": ["type": "finished", "params": hub.faxFinishedParams(call, component, success: false, text: "No fax machine answered")]])
                    }
                    return
                }
                self.faxPage(call, controlID, sending: sending)
            })
    }

    func faxPage(_ call: CallRecord, _ controlID: String, sending: Bool) {
        componentTimer(call, controlID, after: 2) { hub, call in
            guard var component = call.components[controlID] else { return }
            component.pages += 1
            call.components[controlID] = component
            call.log(hub.clock.now, "fax", "page \(component.pages) \(sending ? "sent" : "received")")
            hub.emitComponent(
                call, RelayEventName.callFax, controlID,
                ["fax": ["type": "page", "params": ["direction": .string(sending ? "send" : "receive"), "number": .int(component.pages)]]])
            if component.pages >= component.totalPages {
                hub.finish(call, controlID)
                if !sending {
                    hub.files["faxes/\(controlID).pdf"] = .pdf(pages: component.pages, title: "Fax from \(call.direction == "outbound" ? call.to : call.from)")
                }
                call.log(hub.clock.now, "fax", "finished: \(component.pages) page(s) \(sending ? "sent" : "received at \(component.document)")")
                hub.emitComponent(
                    call, RelayEventName.callFax, controlID,
                    ["fax": ["type": "finished", "params": hub.faxFinishedParams(call, component, success: true, text: "OK")]])
            } else {
                hub.faxPage(call, controlID, sending: sending)
            }
        }
    }

    // MARK: - Send digits

    func sendDigits(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        guard let digits = params["digits"]?.stringValue else { return .failure("400", "Missing 'digits'") }
        guard MediaRules.validDigits(digits) else {
            return .failure("400", "Invalid digits '\(digits)': only 0-9, *, #, A-D, w (0.5 s pause) and W (1 s pause) are allowed")
        }
        let component = Component(controlID: controlID, kind: .sendDigits)
        return .ok(
            "Sending digits", ["control_id": .string(controlID), "call_id": .string(call.id)],
            after: {
                call.components[controlID] = component
                call.log(self.clock.now, "send_digits", "sending \(digits)")
                self.componentTimer(call, controlID, after: MediaRules.sendDuration(digits)) { hub, call in
                    hub.finish(call, controlID)
                    call.log(hub.clock.now, "send_digits", "finished")
                    hub.emitComponent(call, RelayEventName.callSendDigits, controlID, ["state": "finished"])
                }
            })
    }

    // MARK: - Tap

    func tapEventParams(_ component: Component, state: String) -> [String: JSONValue] {
        ["state": .string(state), "tap": component.params["tap"] ?? .object([:]), "device": component.params["device"] ?? .object([:])]
    }

    func tap(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        let (controlID, failure) = newControlID(params, call)
        guard let controlID else { return failure ?? .noComponent }
        guard let tap = params["tap"], tap["type"]?.stringValue == "audio" else { return .failure("400", "Missing or invalid 'tap' (type must be audio)") }
        if let direction = tap[path: "params", "direction"]?.stringValue, !["listen", "speak", "both"].contains(direction) {
            return .failure("400", "Invalid tap direction '\(direction)': use listen, speak or both")
        }
        guard let device = params["device"], let type = device["type"]?.stringValue else { return .failure("400", "Missing 'device'") }
        let deviceParams = device["params"] ?? .object([:])
        var tapSwitch: TapSwitch?
        var rtpTarget: (String, Int, Int)?
        switch type {
        case "rtp":
            guard let addr = deviceParams["addr"]?.stringValue, let port = deviceParams["port"]?.intValue, (1...65535).contains(port) else {
                return .failure("400", "An rtp tap device needs 'addr' and 'port'")
            }
            if RTPTapSender.isLoopback(addr) {
                tapSwitch = TapSwitch()
                rtpTarget = (addr, port, deviceParams["ptime"]?.intValue ?? 20)
            }
        case "ws":
            guard let uri = deviceParams["uri"]?.stringValue, uri.hasPrefix("ws://") || uri.hasPrefix("wss://") else {
                return .failure("400", "A ws tap device needs 'uri' (ws:// or wss://)")
            }
            if let target = WebSocketTapSender.loopbackTarget(uri) {
                tapSwitch = TapSwitch()
                _ = target
            }
        default:
            return .failure("400", "Invalid tap device type '\(type)': use rtp or ws")
        }
        var component = Component(controlID: controlID, kind: .tap)
        component.params = params
        component.tapSwitch = tapSwitch
        let source: JSONValue = [
            "type": .string(type),
            "params": type == "rtp"
                ? ["addr": "127.0.0.1", "port": .int(40000 + Int.random(in: 0..<10000) * 2), "codec": "PCMU", "rate": 8000]
                : ["uri": .string("\(baseURL.replacingOccurrences(of: "http", with: "ws"))/tap/\(controlID)"), "codec": "PCMU", "rate": 8000],
        ]
        let logger = self.logger
        return .ok(
            "Tapping", ["control_id": .string(controlID), "call_id": .string(call.id), "source_device": source],
            after: {
                call.components[controlID] = component
                call.log(self.clock.now, "tap", "tapping to \(type) \(JSONCodec.string(deviceParams))", params)
                self.emitComponent(call, RelayEventName.callTap, controlID, self.tapEventParams(component, state: "tapping"))
                if let tapSwitch, let (addr, port, ptime) = rtpTarget {
                    self.spawn { await RTPTapSender.run(host: addr, port: port, ptime: ptime, tapSwitch: tapSwitch, logger: logger) }
                } else if let tapSwitch, let uri = deviceParams["uri"]?.stringValue {
                    self.spawn { await WebSocketTapSender.run(uri: uri, tapSwitch: tapSwitch, logger: logger) }
                }
            })
    }
}
