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

    /// Every batch asked so far, in order, as one query per value.
    public var batches: [[ModelQuery]] { log.withLock { $0 } }

    public func values(for batch: ModelBatch) -> [[Value?]] {
        log.withLock { $0.append(batch.queries) }
        return answers.values(for: batch)
    }
}
