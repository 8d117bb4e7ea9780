import Foundation

/// Where Puente's time comes from: the system's clock, or a fixed one in tests (so that a
/// test run crossing midnight sees one day, and dated names are known in advance).
public protocol PuenteClock: Sendable {
    var now: Date { get }
}

public struct SystemClock: PuenteClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that always says the same time.
public struct FixedClock: PuenteClock {
    public var now: Date
    public init(_ now: Date) { self.now = now }
}
