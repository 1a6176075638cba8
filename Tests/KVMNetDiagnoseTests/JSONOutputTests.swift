import Foundation
import KVMNetDiagnose
import Testing

/// The Foundation-free JSON writer against Foundation's reader: every value comes back.
@Suite struct JSONOutputTests {
    struct Sample: Codable, Equatable {
        var text: String
        var count: Int
        var big: UInt64
        var negative: Int64
        var ratio: Double
        var whole: Double
        var flag: Bool
        var missing: String?
        var list: [Int]
        var empty: [String]
        var map: [String: [Double]]
        var byIndex: [Int: String]
        var nested: Nested?

        struct Nested: Codable, Equatable {
            var kind: Kind
            enum Kind: String, Codable { case a, b }
        }
    }

    let sample = Sample(
        text: "quote \" backslash \\ slash / tab \t newline \n bell \u{7} é 漢", count: -3,
        big: UInt64.max, negative: Int64.min, ratio: 0.1, whole: 3, flag: true, missing: nil,
        list: [1, 2, 3], empty: [], map: ["b": [1.5e-7, 1e300], "a": []], byIndex: [2: "two", 10: "ten"],
        nested: .init(kind: .b))

    @Test func roundTripsThroughFoundationsDecoder() throws {
        let bytes = try JSONOutput.encode(sample)
        #expect(try JSONDecoder().decode(Sample.self, from: Data(bytes)) == sample)
    }

    @Test func formatIsSortedPrettyAndEscapedAsDocumented() throws {
        struct Small: Encodable { var b = 1; var a = ["x/y": "\u{1}"]; var c: [Int] = []; var d: Double = 2 }
        let text = String(decoding: try JSONOutput.encode(Small()), as: UTF8.self)
        #expect(text == """
        {
          "a" : {
            "x/y" : "\\u0001"
          },
          "b" : 1,
          "c" : [],
          "d" : 2
        }
        """)
    }

    @Test func explicitNullsAreWritten() throws {
        struct WithNull: Encodable {
            var value: Int?
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(value, forKey: .value)
            }
            enum CodingKeys: String, CodingKey { case value }
        }
        #expect(String(decoding: try JSONOutput.encode(WithNull()), as: UTF8.self) == "{\n  \"value\" : null\n}")
    }

    /// Synthesized `encode(to:)` methods call `encodeIfPresent` for optionals: every key
    /// is still written, absent values as null.
    @Test func absentOptionalsOfSynthesizedEncodersAreNull() throws {
        struct Synthesized: Encodable {
            var text: String?
            var count: Int?
            var flag: Bool?
            var ratio: Double?
            var big: UInt64?
            var list: [Int]?
            var set: Int? = 7
        }
        #expect(String(decoding: try JSONOutput.encode(Synthesized()), as: UTF8.self) == """
        {
          "big" : null,
          "count" : null,
          "flag" : null,
          "list" : null,
          "ratio" : null,
          "set" : 7,
          "text" : null
        }
        """)
    }

    @Test func superEncoderWritesUnderSuper() throws {
        class Base: Encodable { var a = 1 }
        final class Derived: Base {
            var b = 2
            enum CodingKeys: String, CodingKey { case b }
            override func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(b, forKey: .b)
                try super.encode(to: c.superEncoder())
            }
        }
        #expect(String(decoding: try JSONOutput.encode(Derived()), as: UTF8.self) == "{\n  \"b\" : 2,\n  \"super\" : {\n    \"a\" : 1\n  }\n}")
    }

    @Test func nonFiniteNumbersAreRefusedWithTheirPath() {
        struct Bad: Encodable { var values: [Double] = [1, .nan] }
        #expect(throws: JSONOutput.EncodingFailure.self) { try JSONOutput.encode(Bad()) }
        do {
            _ = try JSONOutput.encode(Bad())
        } catch let e as JSONOutput.EncodingFailure {
            #expect(e.path == ".values[1]")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
