public import PromoCore
import Synchronization

/// A fake `ModelOutputs` for tests: answers from a fixture and records every batch it is asked,
/// so tests can check that the engine asks once per decision and only for what offers need.
public final class RecordingModelOutputs: ModelOutputs {
    private let answers: FixtureModelOutputs
    private let log = Mutex<[[ModelQuery]]>([])

    public init(_ answers: FixtureModelOutputs = FixtureModelOutputs()) {
        self.answers = answers
    }

    /// Every batch asked so far, in order.
    public var batches: [[ModelQuery]] { log.withLock { $0 } }

    public func values(for queries: [ModelQuery]) -> [Value?] {
        log.withLock { $0.append(queries) }
        return answers.values(for: queries)
    }
}
