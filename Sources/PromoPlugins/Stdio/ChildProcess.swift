import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process with pipes on its stdin, stdout and stderr, in its own process group so that a
/// kill reaches whatever it started. Spawned through `env -C DIR`, which also searches PATH.
struct ChildProcess: Sendable {
    let pid: pid_t
    let stdin: Int32
    let stdout: Int32
    let stderr: Int32

    /// The engine writes to pipes whose reader may be gone; that must be an error, not a signal.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func spawn(arguments: [String], directory: String, environment: [String: String]) throws(PluginFault)
        -> ChildProcess
    {
        _ = ignoreSIGPIPE
        // One spawn at a time: a pipe made for one child must not leak into another, or that other
        // child would hold it open and a crash would never show as end of file.
        return try spawnLock.withLock { _ throws(PluginFault) in
            try spawnLocked(arguments: arguments, directory: directory, environment: environment)
        }
    }

    private static let spawnLock = Mutex(())

    private static func spawnLocked(arguments: [String], directory: String, environment: [String: String])
        throws(PluginFault) -> ChildProcess
    {
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw PluginFault(.unavailable, "cannot make pipes: \(String(cString: strerror(errno)))")
        }
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group; SIGPIPE back to its default (ignored signals survive exec).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

        let argv = ["/usr/bin/env", "-C", directory] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }.sorted()
        var pid: pid_t = 0
        let rc = withCStrings(argv) { a in
            withCStrings(envp) { e in posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, a, e) }
        }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw PluginFault(
                .unavailable, "cannot start \(arguments.joined(separator: " ")): \(String(cString: strerror(rc)))")
        }
        _ = fcntl(inPipe[1], F_SETFL, fcntl(inPipe[1], F_GETFL) | O_NONBLOCK)
        return ChildProcess(pid: pid, stdin: inPipe[1], stdout: outPipe[0], stderr: errPipe[0])
    }

    /// Writes all of `bytes` to stdin, waiting at most until `deadline` for the pipe to drain.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.write(stdin, raw.baseAddress! + offset, bytes.count - offset)
            }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { return "the plugin is not reading its input (stdin is full)" }
                var p = pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, Int32(max(1, left.milliseconds)))
                continue
            }
            return "its input is closed (\(String(cString: strerror(errno))))"
        }
        return nil
    }

    /// Kills the whole process group.
    func kill() { _ = Glibc.kill(-pid, SIGKILL) }

    /// Waits for the process to end (killing it after `grace`) and describes how it ended.
    func reap(grace: Duration) -> String {
        var status: Int32 = 0
        let end = ContinuousClock.now + grace
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 { return "ended" }
            if ContinuousClock.now >= end {
                kill()
                _ = waitpid(pid, &status, 0)
                return "was killed"
            }
            usleep(2_000)
        }
        let termsig = status & 0x7f
        if termsig == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(termsig)"
    }

}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Reads lines from a file descriptor until end of file, on the calling thread.
enum LineReader {
    /// Calls `line` for each line (without its newline); calls `tooLong` and stops when a line
    /// exceeds `limit` bytes.
    static func run(
        fd: Int32, limit: Int, line: (UnsafeBufferPointer<UInt8>) -> Void, tooLong: () -> Void
    ) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var scanned = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            var start = 0
            buffer.withUnsafeBufferPointer { b in
                var i = scanned
                while i < b.count {
                    if b[i] == 0x0A {
                        var end = i
                        if end > start && b[end - 1] == 0x0D { end -= 1 }
                        line(UnsafeBufferPointer(rebasing: b[start..<end]))
                        start = i + 1
                    }
                    i += 1
                }
            }
            if start > 0 { buffer.removeFirst(start) }
            scanned = buffer.count
            if buffer.count > limit {
                tooLong()
                return
            }
        }
        if !buffer.isEmpty { buffer.withUnsafeBufferPointer { line($0) } }
    }
}
