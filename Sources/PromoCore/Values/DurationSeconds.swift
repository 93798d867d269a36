extension Duration {
    /// The duration in seconds, as a `Double` (for printing how long something took).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
