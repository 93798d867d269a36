/// One campaign file: a named set of offers with a schedule, holdout, budget and group.
public struct Campaign: Sendable, Hashable {
    public var file: String
    public var id: String
    public var idSpan: SourceSpan
    public var description: String?
    public var schedule: Schedule?
    public var holdout: PercentValue?
    public var budget: Budget?
    public var group: String?
    public var groupSpan: SourceSpan?
    public var priority: Int
    public var exclusive: Bool
    public var weight: Double
    /// `let` bindings in source order; later ones may use earlier ones.
    public var lets: [LetBinding]
    public var offers: [Offer]
}

/// When a campaign runs. Instants are resolved to epoch seconds at load.
public struct Schedule: Sendable, Hashable {
    public var starts: DateTimeValue?
    public var ends: DateTimeValue?
    /// IANA zone id, e.g. `Asia/Shanghai`; local date-times are read in it.
    public var timeZone: String?
    /// Days of the week the campaign runs (`mon` ... `sun`); empty means every day.
    public var days: [String]
    /// Local hours of the day, e.g. 18:00-22:00, as minutes since midnight.
    public var hours: ClosedRange<Int>?
    public var span: SourceSpan
}

/// Money and count limits for a campaign.
public struct Budget: Sendable, Hashable {
    public var total: MoneyAmount?
    /// How many times one customer may receive the campaign's offers.
    public var perCustomer: Int?
}

/// `let: { overstocked: forecast.days_of_cover(item) > 60 }`
public struct LetBinding: Sendable, Hashable {
    public var name: String
    public var expr: Expr
    public var nameSpan: SourceSpan
    /// Whether the value depends on the item in scope.
    public var needsItem: Bool
}

/// What to do when a model output an offer needs is missing.
public enum MissingOutputPolicy: Sendable, Hashable {
    /// Skip the offer (the default), and report it.
    case skip
    /// Use this value instead.
    case value(Expr)
}
