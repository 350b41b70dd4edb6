import FoundationEssentials
import Glibc

/// Starting a thread that may fail. Foundation's `Thread.start()` gives no sign when the system
/// refuses a thread (`pthread_create` failing with EAGAIN under `ulimit -u`, or out of memory):
/// the closure never runs, and whoever waits for it waits forever. Every thread a build or merge
/// starts goes through ``start(stackSize:_:)``, which throws instead; a thread to be joined (the
/// folder walk beside an index check) through ``startJoinable(stackSize:_:)``, which says so.
public enum WorkerThread {
    /// Starts `body` on a new detached thread with a stack of `stackSize` bytes. Throws
    /// ``IndexError/capacity(_:)`` naming the system's reason when the thread cannot be created;
    /// `body` then never runs.
    static func start(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) throws {
        var thread = pthread_t()
        let status = create(&thread, detached: true, stackSize: stackSize, body)
        guard status == 0 else {
            throw IndexError.capacity("cannot start a thread: \(String(cString: strerror(status))) (lower --jobs, or raise the process limit, ulimit -u)")
        }
    }

    /// Starts `body` on a new thread to be waited for with `pthread_join` (which also orders what
    /// `body` wrote before what the joiner reads next). Nil when the system refuses a thread:
    /// `body` then never runs, and the caller does the work itself.
    public static func startJoinable(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var thread = pthread_t()
        return create(&thread, detached: false, stackSize: stackSize, body) == 0 ? thread : nil
    }

    /// `pthread_create`'s status; on failure `body` is released without running.
    private static func create(_ thread: inout pthread_t, detached: Bool, stackSize: Int,
                               _ body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        pthread_attr_setstacksize(&attributes, stackSize)
        // the box is retained here and released by the thread; on failure, released below
        let box = Unmanaged.passRetained(Box(body))
        let status = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        if status != 0 { box.release() }
        return status
    }

    private final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
