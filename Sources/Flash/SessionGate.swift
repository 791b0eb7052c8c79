import Foundation

/// The process-wide gate that makes "one libflashrom session per process" a property of the
/// type: `FlashSession.with` holds it from `flashrom_init` to `flashrom_shutdown`. Waiters,
/// blocking or async, queue up behind it; nothing ever runs two sessions at once.
final class SessionGate: @unchecked Sendable {
    static let shared = SessionGate()

    private let condition = NSCondition()
    private var busy = false
    private var asyncWaiters: [CheckedContinuation<Void, Never>] = []

    /// Blocks the calling thread until the gate is free, then takes it.
    func acquireBlocking() {
        condition.lock()
        while busy { condition.wait() }
        busy = true
        condition.unlock()
    }

    /// Suspends (without blocking a thread) until the gate is handed over.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            takeOrQueue(continuation)
        }
    }

    private func takeOrQueue(_ continuation: CheckedContinuation<Void, Never>) {
        condition.lock()
        if busy {
            asyncWaiters.append(continuation)
            condition.unlock()
        } else {
            busy = true
            condition.unlock()
            continuation.resume()
        }
    }

    /// Hands the gate to the next async waiter, or frees it for blocking waiters.
    func release() {
        condition.lock()
        if asyncWaiters.isEmpty {
            busy = false
            condition.signal()
            condition.unlock()
        } else {
            let next = asyncWaiters.removeFirst()
            condition.unlock()
            next.resume()
        }
    }
}
