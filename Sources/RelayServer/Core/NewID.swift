import Foundation

/// A fresh lowercase UUID: session, node and call ids.
func newID() -> String { UUID().uuidString.lowercased() }
