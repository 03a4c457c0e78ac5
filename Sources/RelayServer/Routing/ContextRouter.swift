/// Round robin over the sessions receiving a context, in a stable order.
struct ContextRouter {
    private var next: [String: Int] = [:]

    mutating func pick(from candidates: [String], key: String, prefer: String?) -> String? {
        guard !candidates.isEmpty else { return nil }
        if let prefer, candidates.contains(prefer) { return prefer }
        let sorted = candidates.sorted()
        let index = next[key, default: 0] % sorted.count
        next[key] = index + 1
        return sorted[index]
    }
}
