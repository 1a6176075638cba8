/// The type of a metric family in the Prometheus text format.
public enum MetricType: String, Sendable {
    case counter, gauge
}

/// A sample's value. Counters and counts are exact integers, never rounded through a Double.
public enum SampleValue: Sendable, Hashable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)

    /// The text the exposition format expects.
    public var text: String {
        switch self {
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v):
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return String(v)
        }
    }
}

/// One sample: label pairs (in the family's label order) and a value.
public struct Sample: Sendable, Hashable {
    public var labels: [Label]
    public var value: SampleValue

    public struct Label: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ labels: [(String, String)], _ value: SampleValue) {
        self.labels = labels.map { Label($0.0, $0.1) }
        self.value = value
    }
}

/// A metric family: name, help, type and samples.
public struct MetricFamily: Sendable, Hashable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [Sample]

    public init(name: String, help: String, type: MetricType, samples: [Sample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    public mutating func add(_ labels: [(String, String)], _ value: SampleValue) {
        samples.append(Sample(labels, value))
    }

    public mutating func add(_ labels: [(String, String)], _ value: Int) {
        samples.append(Sample(labels, .int(Int64(value))))
    }

    public mutating func add(_ labels: [(String, String)], _ value: UInt64) {
        samples.append(Sample(labels, .uint(value)))
    }

    public mutating func add(_ labels: [(String, String)], _ value: Double) {
        samples.append(Sample(labels, .double(value)))
    }

    public mutating func add(_ labels: [(String, String)], _ value: Bool) {
        samples.append(Sample(labels, .int(value ? 1 : 0)))
    }
}
