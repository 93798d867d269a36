import Crypto
import Foundation
public import PromoDSL
import PromoYAML

/// A campaign ready to run: schedule instants resolved, ids and levers. A class, so that the
/// decision path reads its fields without copying it.
final class CompiledCampaign: Sendable {
    let id: String
    let group: Int
    let priority: Int
    let exclusive: Bool
    let weight: Double
    let holdoutPPM: Int64
    let starts: Int64?
    let ends: Int64?
    let timeZone: String?
    /// The zone, resolved once (nil: UTC).
    let zone: TimeZone?
    /// 1 = Monday ... 7 = Sunday; empty = every day.
    let days: Set<Int>
    let hours: ClosedRange<Int>?
    let budgetTotal: Int64?
    let perCustomer: Int?

    /// No schedule and no holdout: `Engine.campaignStatus` lets every request through, so the
    /// decision skips asking (the conditions below are the ones it tests).
    var runsForEveryRequest: Bool {
        starts == nil && ends == nil && days.isEmpty && hours == nil && holdoutPPM <= 0
    }

    init(
        id: String, group: Int, priority: Int, exclusive: Bool, weight: Double, holdoutPPM: Int64, starts: Int64?,
        ends: Int64?, timeZone: String?, zone: TimeZone?, days: Set<Int>, hours: ClosedRange<Int>?, budgetTotal: Int64?,
        perCustomer: Int?
    ) {
        self.id = id
        self.group = group
        self.priority = priority
        self.exclusive = exclusive
        self.weight = weight
        self.holdoutPPM = holdoutPPM
        self.starts = starts
        self.ends = ends
        self.timeZone = timeZone
        self.zone = zone
        self.days = days
        self.hours = hours
        self.budgetTotal = budgetTotal
        self.perCustomer = perCustomer
    }
}

/// What the index, arbitration and selection read of an offer and its campaign, in one flat
/// record per offer of exactly one cache line (`RuleSet.facts` keeps them 64-byte aligned): a
/// candidate's first touch brings everything the decision reads of it before evaluating it.
struct OfferFacts: Sendable {
    var campaign: Int32
    var group: Int32
    var campaignPriority: Int
    var priority: Int
    var weight: Double
    /// The model slots the offer reads, as bits, when all are below 64 (else `wideSlots`, and
    /// `RuleSet.offerSlots` has them).
    var slotBits: UInt64
    /// The channels and segments the offer allows (none: any), at `allowed[from ..< to]` of the
    /// index.
    var channelsFrom: Int32
    var channelsTo: Int32
    var segmentsFrom: Int32
    var segmentsTo: Int32
    var exclusive: Bool
    /// The campaign has a money budget or a per-customer cap.
    var limited: Bool
    /// Bundles and buy-X-get-Y: valued again whenever earlier offers changed any price.
    var repriced: Bool
    /// Gifts and free shipping: their value reads no price.
    var priceFree: Bool
    /// The campaign has no schedule and no holdout: it runs for every request.
    var alwaysOn: Bool
    /// The index has a line filter for the offer.
    var filtered: Bool
    var wideSlots: Bool
}

/// A stacking group as the engine applies it.
struct CompiledGroup: Sendable {
    var name: String
    var mode: StackingGroup.Mode
    var base: StackingGroup.Base
}

/// An offer kind with its terms compiled.
enum CompiledKind: Sendable {
    case percentOff(Eval, maxItems: Int?)
    case amountOff(Eval, maxItems: Int?)
    case fixedPrice(Eval, maxItems: Int?)
    case spendThreshold([CompiledTier], nudgeWithin: Int64?)
    case bundle([CompiledBundleItem], price: Int64?, percent: Int64?, maxBundles: Int?)
    case buyXGetY(
        buy: Eval?, buyQuantity: Int, get: Eval?, getQuantity: Int, percent: Int64, cheapestFirst: Bool,
        maxApplications: Int?)
    case gift(sku: String, quantity: Int)
    case freeShipping(maxShipping: Int64?)
}

struct CompiledTier: Sendable {
    var spend: Int64
    var off: Int64?
    var percent: Int64?
}

struct CompiledBundleItem: Sendable {
    var sku: String?
    var match: Eval?
    var quantity: Int
}

/// An offer ready to run. A class so that the hot path passes one reference, not its closures.
final class CompiledOffer: Sendable {
    // What evaluation reads comes first, packed, so that it lies in the object's first cache
    // lines (an offer's object is a cache miss for most candidates).
    /// Which of the optional expressions below the offer has; those it lacks hold a closure that
    /// gives nothing. (Closures that are always there: reading an optional closure out of an
    /// object copies it, counting a reference twice per call.)
    let present: Present
    let shape: Shape
    let when: Eval
    /// What is left of `applies_to` on the lines the index admitted (those whose sku, category
    /// or brand meets the conjunct the offer's line filter comes from): the other conjuncts;
    /// absent when there are none (every admitted line matches). Only for offers with a line filter.
    let appliesToRest: Eval
    /// The per-unit value of the common kinds, read by the hot path without copying `kind` (a
    /// copy of the enum retains every closure and array in it).
    let unitValue: Eval
    /// The unit value when it is a literal (`percent: 20%`): read without a call.
    let unitConstant: Val?
    let maxItems: Int?
    let marginFloorPPM: Int64?
    let maxDiscount: Int64?
    let tiers: [CompiledTier]
    let nudgeWithin: Int64?
    /// Read only where the index did not leave the lines an offer was met on.
    let appliesTo: Eval
    let fallback: Eval
    let campaign: Int
    let priority: Int
    let id: String
    let title: String
    let kindName: String
    let kind: CompiledKind
    let modelSlots: [Int]
    let keys: IndexKeys
    /// Condition nodes of `when` and `applies_to`, and where the offer is written (for traces).
    let whenNode: Int?
    let appliesToNode: Int?
    /// The node of the per-unit value expression (`percent`, `amount`, `price`).
    let valueNode: Int?
    let file: String
    let line: Int

    enum Shape: UInt8 {
        case percentOff, amountOff, fixedPrice, spendThreshold, other

        /// A discount per matching unit: nothing without a matching line.
        var perUnit: Bool { self == .percentOff || self == .amountOff || self == .fixedPrice }
    }

    /// The closure, or one that gives nothing. (Not `??`: through a generic function the
    /// closure would come back wrapped in conversion thunks, paid on every call.)
    private static func always(_ e: Eval?) -> Eval {
        if let e { return e }
        return { _ in .missing }
    }

    struct Present: OptionSet, Sendable {
        let rawValue: UInt8
        static let when = Present(rawValue: 1)
        static let appliesTo = Present(rawValue: 2)
        static let appliesToRest = Present(rawValue: 4)
        static let fallback = Present(rawValue: 8)
        static let unitValue = Present(rawValue: 16)
    }

    init(
        campaign: Int, id: String, title: String, kindName: String, kind: CompiledKind, appliesTo: Eval?, when: Eval?,
        whenNode: Int?, valueNode: Int?, appliesToNode: Int?, file: String, line: Int, marginFloorPPM: Int64?,
        maxDiscount: Int64?,
        priority: Int, fallback: Eval?, modelSlots: [Int], keys: IndexKeys, appliesToRest: Eval? = nil,
        unitConstant: Val? = nil
    ) {
        self.appliesToRest = Self.always(appliesToRest)
        self.unitConstant = unitConstant
        self.campaign = campaign
        self.id = id
        self.title = title
        self.kindName = kindName
        self.kind = kind
        self.appliesTo = Self.always(appliesTo)
        self.when = Self.always(when)
        self.whenNode = whenNode
        self.valueNode = valueNode
        self.appliesToNode = appliesToNode
        self.file = file
        self.line = line
        self.marginFloorPPM = marginFloorPPM
        self.maxDiscount = maxDiscount
        self.priority = priority
        self.fallback = Self.always(fallback)
        self.modelSlots = modelSlots
        self.keys = keys
        var tiers: [CompiledTier] = []
        var nudgeWithin: Int64?
        let unitValue: Eval?
        switch kind {
        case .percentOff(let e, let m): (shape, unitValue, maxItems) = (.percentOff, e, m)
        case .amountOff(let e, let m): (shape, unitValue, maxItems) = (.amountOff, e, m)
        case .fixedPrice(let e, let m): (shape, unitValue, maxItems) = (.fixedPrice, e, m)
        case .spendThreshold(let t, let n):
            (shape, unitValue, maxItems) = (.spendThreshold, nil, nil)
            (tiers, nudgeWithin) = (t, n)
        default: (shape, unitValue, maxItems) = (.other, nil, nil)
        }
        self.unitValue = Self.always(unitValue)
        var present: Present = []
        if when != nil { present.insert(.when) }
        if appliesTo != nil { present.insert(.appliesTo) }
        if appliesToRest != nil { present.insert(.appliesToRest) }
        if fallback != nil { present.insert(.fallback) }
        if unitValue != nil { present.insert(.unitValue) }
        self.present = present
        self.tiers = tiers
        self.nudgeWithin = nudgeWithin
    }
}

/// A compiled, executable rule set. Same digest = same rules, whatever the file order or paths.
///
/// ```swift
/// let rules = try RulesLoader().load(paths: ["rules"])
/// let ruleSet = try RuleSet(rules)
/// print(ruleSet.digest)
/// ```
public final class RuleSet: Sendable {
    /// SHA-256 over the rules and manifests' contents, in a canonical order.
    public let digest: String
    public let currency: String
    public let rounding: RoundingMode
    public let objective: Arbitration.Objective
    public let maxOffersPerCustomer: Int
    /// What traces may hold, from the workspace.
    public let traceSettings: TraceSettings
    let campaigns: [CompiledCampaign]
    /// Some campaign is exclusive (else selection never weighs one against the rest).
    let anyExclusive: Bool
    let groups: [CompiledGroup]
    /// Offers in stable order: by campaign id, then offer id.
    let offers: [CompiledOffer]
    /// Per offer, flat (so that filtering candidates touches no offer object): the model slots it
    /// reads at `offerSlots[offerSlotsAt[o] ..< offerSlotsAt[o + 1]]`.
    let offerSlotsAt: [Int32]
    let offerSlots: [Int32]
    /// Per offer, flat: what arbitration and selection read of it and its campaign.
    let facts: AlignedTable<OfferFacts>
    /// Per offer, unretained: the hot path evaluates it without touching its reference count
    /// (an atomic write to memory that is cold, which stalls until the memory arrives).
    let offerRefs: [Unmanaged<CompiledOffer>]
    let campaignRefs: [Unmanaged<CompiledCampaign>]
    let modelSlots: [ModelSlot]
    /// The plugins the rules call, each once.
    let plugins: [String]
    let letCount: Int
    let index: OfferIndex
    /// Every text literal of the rules, as symbols.
    let symbols: SymbolTable
    /// Names for rendering reasons, shared by decisions.
    let names: RuleNames
    /// Every condition node, for traces; and where each expression's node is.
    let conditionNodes: [ConditionNode]
    let nodeBySpan: [SourceSpan: Int]
    /// The rules files as loaded: path, text and SHA-256 of the text.
    public let sources: [(path: String, text: String, sha256: String)]
    /// Per offer: its index constraints as text (`item.category == "socks" and channel == "app"`).
    let offerNeeds: [String]
    /// Slots of `uplift.propensity()` and `uplift.score()` for arbitration, when the uplift role is bound.
    let propensitySlot: Int?
    let upliftSlot: Int?
    /// The slot of `customer.segment`, which the index reads before choosing candidates.
    let segmentSlot: Int?

    /// The rules could not be compiled because they have errors.
    public struct CompileError: Error, Sendable, CustomStringConvertible {
        public var diagnostics: [Diagnostic]
        public var description: String { "the rules have \(diagnostics.count) error(s); run promo validate" }
    }

    public var offerCount: Int { offers.count }
    public var campaignCount: Int { campaigns.count }

    /// Compiles checked rules. Rules with errors are refused.
    public init(_ rules: LoadedRules) throws(CompileError) {
        guard !rules.hasErrors, let workspace = rules.workspace else {
            throw CompileError(diagnostics: rules.diagnostics.filter { $0.severity == .error })
        }
        digest = Self.digest(rules)
        currency = workspace.currency
        rounding = workspace.rounding
        objective = workspace.arbitration.objective
        maxOffersPerCustomer = workspace.arbitration.maxOffersPerCustomer
        traceSettings = workspace.trace

        var groups = workspace.groups.map { CompiledGroup(name: $0.name, mode: $0.mode, base: $0.base) }
        var compiler = ExpressionCompiler()
        var campaigns: [CompiledCampaign] = []
        var offers: [CompiledOffer] = []
        for c in rules.campaigns.sorted(by: { $0.id < $1.id }) {
            var groupIndex = groups.firstIndex { $0.name == c.group }
            if groupIndex == nil {
                groups.append(CompiledGroup(name: "campaign:\(c.id)", mode: .best, base: .original))
                groupIndex = groups.count - 1
            }
            campaigns.append(Self.campaign(c, group: groupIndex!))
            compiler.lets = [:]
            var letSlots: [String: Set<Int>] = [:]
            for l in c.lets {
                compiler.usedSlots = []
                let body = compiler.compile(l.expr)
                letSlots[l.name] = compiler.usedSlots.union(
                    Self.letsUsed(l.expr).reduce(into: Set<Int>()) { $0.formUnion(letSlots[$1] ?? []) })
                compiler.lets[l.name] = (compiler.letCount, l.needsItem, body)
                compiler.letCount += 1
            }
            for o in c.offers.sorted(by: { $0.id < $1.id }) {
                compiler.usedSlots = []
                var exprs: [Expr] = [o.appliesTo, o.when].compactMap { $0 }
                let appliesTo = o.appliesTo.map { compiler.condition($0) }
                let keys = IndexKeys(when: o.when, appliesTo: o.appliesTo)
                let rest = o.appliesTo.flatMap { compiler.residual($0, keys) }
                let when = o.when.map { compiler.condition($0) }
                let kind: CompiledKind
                var valueNode: Int?
                var unitConstant: Val?
                switch o.kind {
                case .percentOff(let e, let m):
                    exprs.append(e)
                    unitConstant = compiler.constant(e)
                    let (eval, node) = compiler.condition(e)
                    valueNode = node
                    kind = .percentOff(eval, maxItems: m)
                case .amountOff(let e, let m):
                    exprs.append(e)
                    unitConstant = compiler.constant(e)
                    let (eval, node) = compiler.condition(e)
                    valueNode = node
                    kind = .amountOff(eval, maxItems: m)
                case .fixedPrice(let e, let m):
                    exprs.append(e)
                    unitConstant = compiler.constant(e)
                    let (eval, node) = compiler.condition(e)
                    valueNode = node
                    kind = .fixedPrice(eval, maxItems: m)
                case .spendThreshold(let tiers, let nudge):
                    kind = .spendThreshold(
                        tiers.map {
                            CompiledTier(
                                spend: $0.spend.minorUnits, off: $0.off?.minorUnits,
                                percent: $0.percent?.partsPerMillion)
                        },
                        nudgeWithin: nudge?.minorUnits)
                case .bundle(let items, let price, let pct, let maxBundles):
                    exprs += items.compactMap(\.match)
                    kind = .bundle(
                        items.map {
                            CompiledBundleItem(
                                sku: $0.sku, match: $0.match.map { compiler.compile($0) }, quantity: $0.quantity)
                        },
                        price: price?.minorUnits, percent: pct?.partsPerMillion, maxBundles: maxBundles)
                case .buyXGetY(let buy, let get, let pct, let cheapest, let maxApps):
                    exprs += [buy.match, get.match].compactMap { $0 }
                    let buyMatch = buy.match.map { compiler.compile($0) }
                    kind = .buyXGetY(
                        buy: buyMatch, buyQuantity: buy.quantity,
                        get: get.match.map { compiler.compile($0) } ?? buyMatch,
                        getQuantity: get.quantity, percent: pct.partsPerMillion, cheapestFirst: cheapest,
                        maxApplications: maxApps)
                case .gift(let sku, let q): kind = .gift(sku: sku, quantity: q)
                case .freeShipping(let m): kind = .freeShipping(maxShipping: m?.minorUnits)
                }
                var fallback: Eval?
                if case .value(let e) = o.onMissing { fallback = compiler.compile(e) }
                var slots = compiler.usedSlots
                for name in exprs.flatMap(Self.letsUsed) { slots.formUnion(letSlots[name] ?? []) }
                offers.append(
                    CompiledOffer(
                        campaign: campaigns.count - 1, id: o.id, title: o.title ?? o.id, kindName: o.kind.name,
                        kind: kind,
                        appliesTo: appliesTo?.eval, when: when?.eval, whenNode: when?.node, valueNode: valueNode,
                        appliesToNode: appliesTo?.node, file: o.span.file, line: o.span.start.line,
                        marginFloorPPM: o.marginFloor?.partsPerMillion,
                        maxDiscount: o.maxDiscount?.minorUnits, priority: o.priority, fallback: fallback,
                        modelSlots: slots.sorted(), keys: keys, appliesToRest: rest, unitConstant: unitConstant))
            }
        }
        // Arbitration reads the uplift model when one is bound.
        var propensity: Int?
        var uplift: Int?
        if let binding = workspace.models.first(where: { $0.role == "uplift" }),
            let manifest = rules.manifests.first(where: { $0.name == binding.plugin })
        {
            for fn in manifest.functions where fn.parameters.isEmpty && (fn.name == "propensity" || fn.name == "score")
            {
                let ref = ModelReference(
                    role: "uplift", plugin: manifest.name, namespace: manifest.namespace, function: fn.name,
                    result: fn.result,
                    per: fn.per)
                let slot = compiler.slot(for: ref, arguments: [])
                if fn.name == "propensity" { propensity = slot } else { uplift = slot }
            }
        }
        self.groups = groups
        self.campaigns = campaigns
        self.anyExclusive = campaigns.contains { $0.exclusive }
        self.offers = offers
        var slotsAt: [Int32] = [0]
        var flatSlots: [Int32] = []
        for o in offers {
            flatSlots += o.modelSlots.map { Int32($0) }
            slotsAt.append(Int32(flatSlots.count))
        }
        self.offerSlotsAt = slotsAt
        self.offerSlots = flatSlots
        self.offerRefs = offers.map { Unmanaged.passUnretained($0) }
        self.campaignRefs = campaigns.map { Unmanaged.passUnretained($0) }
        self.modelSlots = compiler.modelSlots
        self.plugins = Array(Set(compiler.modelSlots.map(\.call.plugin))).sorted()
        self.letCount = compiler.letCount
        self.propensitySlot = propensity
        self.upliftSlot = uplift
        var allowances: [OfferIndex.Allowance] = []
        let index = OfferIndex(offers, symbols: &compiler.symbols, allowances: &allowances)
        self.index = index
        assert(MemoryLayout<OfferFacts>.stride == 64, "an offer's facts are one cache line")
        self.facts = AlignedTable(
            offers.enumerated().map { i, o in
                let c = campaigns[o.campaign]
                let allowance = allowances[i]
                return OfferFacts(
                    campaign: Int32(o.campaign), group: Int32(c.group), campaignPriority: c.priority,
                    priority: o.priority, weight: c.weight,
                    slotBits: o.modelSlots.reduce(0) { $1 < 64 ? $0 | 1 << UInt64($1) : $0 },
                    channelsFrom: allowance.channelsFrom, channelsTo: allowance.channelsTo,
                    segmentsFrom: allowance.segmentsFrom, segmentsTo: allowance.segmentsTo,
                    exclusive: c.exclusive, limited: c.budgetTotal != nil || c.perCustomer != nil,
                    repriced: {
                        if case .bundle = o.kind { true } else if case .buyXGetY = o.kind { true } else { false }
                    }(),
                    priceFree: {
                        if case .gift = o.kind { true } else if case .freeShipping = o.kind { true } else { false }
                    }(),
                    alwaysOn: c.runsForEveryRequest,
                    filtered: index.lineFilters[i] != nil, wideSlots: o.modelSlots.contains { $0 >= 64 })
            })
        self.symbols = SymbolTable(compiler.symbols.strings)
        self.conditionNodes = compiler.nodes
        self.nodeBySpan = compiler.nodeBySpan
        self.sources = rules.files.compactMap { path in
            rules.sources[path].map { source in
                let text = String(String.UnicodeScalarView(source.scalars))
                return (path, text, SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined())
            }
        }
        self.offerNeeds = offers.map { o in
            o.keys.texts.sorted { $0.key.rawValue < $1.key.rawValue }.map(\.value).joined(separator: " and ")
        }
        self.names = RuleNames(
            currency: currency, campaigns: campaigns.map(\.id), offerCampaign: offers.map(\.campaign),
            offerIDs: offers.map(\.id), kinds: offers.map(\.kindName), titles: offers.map(\.title),
            groups: groups.map(\.name),
            maxOffers: maxOffersPerCustomer,
            giftSkus: offers.map {
                if case .gift(let sku, _) = $0.kind { sku } else { nil }
            })
        self.segmentSlot = compiler.modelSlots.firstIndex {
            $0.reference.namespace == "customer" && $0.reference.function == "segment" && $0.arguments.isEmpty
        }
    }

    static func letsUsed(_ e: Expr) -> [String] {
        switch e.kind {
        case .letRef(let name): [name]
        case .list(let items): items.flatMap(letsUsed)
        case .model(_, let args), .builtin(_, let args), .call(_, let args): args.flatMap(letsUsed)
        case .unary(_, let a): letsUsed(a)
        case .binary(_, let a, let b): letsUsed(a) + letsUsed(b)
        default: []
        }
    }

    static func campaign(_ c: Campaign, group: Int) -> CompiledCampaign {
        func epoch(_ d: DateTimeValue?) -> Int64? {
            guard let d else { return nil }
            if let e = d.epochSeconds() { return e }
            guard let zone = c.schedule?.timeZone, let tz = TimeZone(identifier: zone),
                let guess = d.epochSeconds(offset: 0)
            else {
                return nil
            }
            let first = tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess)))
            let offset = tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess - Int64(first))))
            return d.epochSeconds(offset: offset)
        }
        let dayNumbers = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]
        return CompiledCampaign(
            id: c.id, group: group, priority: c.priority, exclusive: c.exclusive, weight: c.weight,
            holdoutPPM: c.holdout?.partsPerMillion ?? 0, starts: epoch(c.schedule?.starts),
            ends: epoch(c.schedule?.ends),
            timeZone: c.schedule?.timeZone, zone: c.schedule?.timeZone.flatMap { TimeZone(identifier: $0) },
            days: Set((c.schedule?.days ?? []).compactMap { dayNumbers[$0] }),
            hours: c.schedule?.hours, budgetTotal: c.budget?.total?.minorUnits, perCustomer: c.budget?.perCustomer)
    }

    /// SHA-256 over every rules and manifest text, sorted, each prefixed by its length: independent
    /// of file names and of the order files were read in.
    static func digest(_ rules: LoadedRules) -> String {
        var texts = rules.files.compactMap { rules.sources[$0] }.map { String(String.UnicodeScalarView($0.scalars)) }
        texts.sort()
        var hasher = SHA256()
        for t in texts {
            let bytes = Array(t.utf8)
            hasher.update(data: Array(String(bytes.count).utf8) + [0x0A])
            hasher.update(data: bytes)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
