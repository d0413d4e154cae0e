/// A bounded map that evicts the least recently used entry, with O(1) operations.
///
/// Nodes live in arrays linked by index; freed slots are reused. Not thread-safe: ``DNSCache``
/// guards each shard with a lock.
struct LRUCacheShard<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var value: Value
        var previous: Int
        var next: Int
    }

    private var index: [Key: Int] = [:]
    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var head = -1  // most recently used
    private var tail = -1  // least recently used
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { self.index.count }

    /// The value for `key`, marking it most recently used.
    mutating func get(_ key: Key) -> Value? {
        guard let slot = self.index[key], let node = self.nodes[slot] else { return nil }
        self.moveToFront(slot)
        return node.value
    }

    /// Stores `value`; returns how many entries were evicted to make room (0 or 1).
    @discardableResult
    mutating func set(_ key: Key, _ value: Value) -> Int {
        if let slot = self.index[key] {
            self.nodes[slot]?.value = value
            self.moveToFront(slot)
            return 0
        }
        var evicted = 0
        if self.index.count >= self.capacity, self.tail >= 0, let last = self.nodes[self.tail] {
            self.remove(last.key)
            evicted = 1
        }
        let node = Node(key: key, value: value, previous: -1, next: self.head)
        let slot: Int
        if let reused = self.free.popLast() {
            slot = reused
            self.nodes[slot] = node
        } else {
            slot = self.nodes.count
            self.nodes.append(node)
        }
        if self.head >= 0 { self.nodes[self.head]?.previous = slot }
        self.head = slot
        if self.tail < 0 { self.tail = slot }
        self.index[key] = slot
        return evicted
    }

    /// Removes `key` if present.
    mutating func remove(_ key: Key) {
        guard let slot = self.index.removeValue(forKey: key) else { return }
        self.unlink(slot)
        self.nodes[slot] = nil
        self.free.append(slot)
    }

    mutating func removeAll() {
        self = LRUCacheShard(capacity: self.capacity)
    }

    private mutating func unlink(_ slot: Int) {
        guard let node = self.nodes[slot] else { return }
        if node.previous >= 0 { self.nodes[node.previous]?.next = node.next } else { self.head = node.next }
        if node.next >= 0 { self.nodes[node.next]?.previous = node.previous } else { self.tail = node.previous }
        self.nodes[slot]?.previous = -1
        self.nodes[slot]?.next = -1
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != self.head else { return }
        self.unlink(slot)
        self.nodes[slot]?.next = self.head
        if self.head >= 0 { self.nodes[self.head]?.previous = slot }
        self.head = slot
        if self.tail < 0 { self.tail = slot }
    }
}
