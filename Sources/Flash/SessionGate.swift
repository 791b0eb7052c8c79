import Foundation

/// The process-wide gate that makes "one libflashrom session per process" a property of the
/// type: `FlashSession.with` holds it from `flashrom_init` to `flashrom_shutdown`. Waiters
/// queue up behind it (suspended, in order); nothing ever runs two sessions at once.
final class SessionGate: @unchecked Sendable {
    static let shared = SessionGate()

    private let lock = NSLock()
    private var busy = false
    private var asyncWaiters: [CheckedContinuation<Void, Never>] = []

    /// Suspends (without blocking a thread) until the gate is handed over.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            takeOrQueue(continuation)
        }
    }

    private func takeOrQueue(_ continuation: CheckedContinuation<Void, Never>) {
        lock.lock()
        if busy {
            asyncWaiters.append(continuation)
            lock.unlock()
        } else {
            busy = true
            lock.unlock()
            continuation.resume()
        }
    }

    /// Hands the gate to the next waiter, or frees it.
    func release() {
        lock.lock()
        if asyncWaiters.isEmpty {
            busy = false
            lock.unlock()
        } else {
            let next = asyncWaiters.removeFirst()
            lock.unlock()
            next.resume()
        }
    }
}
