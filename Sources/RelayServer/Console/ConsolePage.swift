/// The console's page.
enum ConsolePage {
    static let html = ""
    static let icon = ""
}
