@_exported import RelayWire
