/// The console's style sheet.
enum ConsoleStyle {
    static let source = ""
}
