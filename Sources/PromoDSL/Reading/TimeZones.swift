import Foundation

/// IANA time zones, via Foundation.
enum TimeZones {
    static func isKnown(_ id: String) -> Bool { TimeZone(identifier: id) != nil && id.contains("/") || id == "UTC" }

    static var common: [String] { TimeZone.knownTimeZoneIdentifiers }

    /// Seconds east of UTC in `id` at a local wall-clock time.
    static func offset(_ id: String, at value: DateTimeValue) -> Int? {
        guard let tz = TimeZone(identifier: id), let guess = value.epochSeconds(offset: 0) else { return nil }
        let first = tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess)))
        return tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess - Int64(first))))
    }
}
