import Foundation
import PromoTesting

/// Runs the built `promo` binary as a user would.
struct PromoCommand {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("promo")
    }

    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String] = [:], executable: URL = binary, pythonWrap: Bool = false
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = pythonWrap ? ["python3"] + arguments : arguments
        process.currentDirectoryURL = PromoTesting.repositoryRoot
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder with a copy of the example workspace file.
    static func workspace(_ files: [String: [UInt8]]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promo-e2e-\(UUID().uuidString)/rules")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: PromoTesting.repositoryRoot.appendingPathComponent("rules/promo.yaml"),
            to: dir.appendingPathComponent("promo.yaml"))
        for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
        return dir
    }
}
