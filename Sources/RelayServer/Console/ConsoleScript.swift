/// The console's script.
enum ConsoleScript {
    static let source = ""
}
