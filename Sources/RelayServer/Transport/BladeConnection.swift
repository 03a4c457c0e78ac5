import HummingbirdWebSocket
import Logging
import NIOCore
import RelayWire

/// Serves one Blade WebSocket connection: a reader feeding the hub, a writer draining the
/// connection's bounded queue, and a pinger sending WebSocket ping control frames. When any
/// of them ends (client gone, server closing the socket) the others are cancelled and the
/// socket closes.
enum BladeConnection {
    static func serve(
        hub: RelayHub, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, remoteAddress: String,
        configuration: RelayServerConfiguration, logger: Logger
    ) async {
        let handle = await hub.openConnection(remoteAddress: remoteAddress)
        logger.debug("websocket connected", metadata: ["relay.connection": "\(handle.id)", "relay.remote": "\(remoteAddress)"])
        let pingInterval = configuration.pingInterval
        let maximumSize = configuration.maximumMessageSize * 4
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in handle.stream {
                    switch item {
                    case .text(let text, let delay):
                        if delay > 0 {
                            do { try await Task.sleep(for: .seconds(delay)) } catch { return }
                        }
                        do { try await outbound.write(.text(text)) } catch { return }
                    case .close:
                        return
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: .seconds(pingInterval))
                        try await outbound.write(.custom(.init(fin: true, opcode: .ping, data: ByteBuffer(string: "relay"))))
                    } catch {
                        return
                    }
                }
            }
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: maximumSize) {
                        switch message {
                        case .text(let text): await hub.receive(text: text, from: handle)
                        case .binary(let buffer): await hub.receiveBinary(size: buffer.readableBytes, from: handle)
                        }
                    }
                } catch {
                    logger.debug("websocket read ended", metadata: ["relay.connection": "\(handle.id)", "relay.error": "\(error)"])
                }
            }
            await group.next()
            group.cancelAll()
        }
        await hub.connectionClosed(handle)
        logger.debug("websocket closed", metadata: ["relay.connection": "\(handle.id)"])
    }
}
