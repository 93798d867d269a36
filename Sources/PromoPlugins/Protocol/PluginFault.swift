/// Why a plugin call produced no values. Its `description` is what traces and logs show:
/// `deadline: no answer within 50 ms; the call was cancelled`.
public struct PluginFault: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// No answer within the call's deadline; a cancel notification was sent.
        case deadline
        /// The process exited or was killed while calls were waiting.
        case crashed
        /// A line on stdout that is not a JSON-RPC message, or one longer than the limit.
        case malformed
        /// An answer of the wrong shape or type, or a non-finite number.
        case badValue = "bad_value"
        /// The plugin answered with a JSON-RPC error.
        case pluginError = "plugin_error"
        /// The handshake failed for good (protocol version, functions that disagree with the manifest).
        case refused
        /// The plugin could not be started or has no runtime in this build.
        case unavailable
        /// Restarting after a failure; calls fail fast until it is back.
        case restarting
        /// Too many failures in a row: kept off for a while.
        case circuitOpen = "circuit_open"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
