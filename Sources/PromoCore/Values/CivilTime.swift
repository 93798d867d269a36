/// Calendar arithmetic in UTC without Foundation formatters (Howard Hinnant's civil-date
/// algorithms): fast enough for a million rows, and the same on every platform.
///
/// ```swift
/// CivilTime.iso(1_796_443_200)          // "2026-12-05T04:00:00Z"
/// CivilTime.days(year: 1970, month: 1, day: 2)  // 1
/// ```
public enum CivilTime {
    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func days(year y: Int, month m: Int, day d: Int) -> Int {
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The UTC date and time of `t` seconds since 1970.
    public static func parts(_ t: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let days = Int((t >= 0 ? t : t - 86_399) / 86_400)
        let seconds = Int(t - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d, seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }

    /// `2026-12-05T04:00:00Z`.
    public static func iso(_ t: Int64) -> String {
        let p = parts(t)
        return "\(p.year)-\(two(p.month))-\(two(p.day))T\(two(p.hour)):\(two(p.minute)):\(two(p.second))Z"
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
