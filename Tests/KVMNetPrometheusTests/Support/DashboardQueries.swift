import Foundation

/// The PromQL of a Grafana dashboard: every `expr` (panels, annotations) and every query
/// variable's `label_values(...)`, with the dashboard variables substituted.
struct DashboardQuery {
    /// Where in the dashboard: panel title, annotation or variable name.
    var origin: String
    /// The PromQL, variables substituted.
    var expr: String
    /// An annotation query: it finds events, and the fixture has none.
    var isAnnotation: Bool
}

enum DashboardQueries {
    /// Reads `path` and substitutes `variables` (name -> value; `$name` and `${name}`).
    static func load(_ path: String, variables: [String: String]) throws -> [DashboardQuery] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("\(path): not a JSON object")
        }
        var found: [DashboardQuery] = []
        for panel in root["panels"] as? [[String: Any]] ?? [] {
            let title = panel["title"] as? String ?? "?"
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let e = target["expr"] as? String { found.append(DashboardQuery(origin: "panel \"\(title)\" \(target["refId"] ?? "")", expr: e, isAnnotation: false)) }
            }
            if panel["panels"] != nil && !((panel["panels"] as? [Any]) ?? []).isEmpty {
                throw TestFailure("\(path): collapsed row \"\(title)\": its panels would not be checked")
            }
        }
        let annotations = (root["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for a in annotations {
            if let e = a["expr"] as? String { found.append(DashboardQuery(origin: "annotation \"\(a["name"] ?? "")\"", expr: e, isAnnotation: true)) }
        }
        let templating = (root["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for v in templating where v["type"] as? String == "query" {
            let q = (v["query"] as? [String: Any])?["query"] as? String ?? v["definition"] as? String ?? ""
            guard let expr = labelValuesQuery(q) else { throw TestFailure("\(path): variable \(v["name"] ?? ""): not label_values(...): \(q)") }
            found.append(DashboardQuery(origin: "variable $\(v["name"] ?? "")", expr: expr, isAnnotation: false))
        }
        return try found.map { q in
            var q = q
            q.expr = substitute(q.expr, variables)
            if q.expr.contains("$") { throw TestFailure("\(path) \(q.origin): a variable is left: \(q.expr)") }
            return q
        }
    }

    /// `label_values(X, label)` -> `count by (label) (X)`: what Grafana asks, as a query.
    static func labelValuesQuery(_ q: String) -> String? {
        guard q.hasPrefix("label_values("), q.hasSuffix(")"), let comma = q.lastIndex(of: ",") else { return nil }
        let selector = q[q.index(q.startIndex, offsetBy: 13)..<comma].trimmingCharacters(in: .whitespaces)
        let label = q[q.index(after: comma)..<q.index(before: q.endIndex)].trimmingCharacters(in: .whitespaces)
        return "count by (\(label)) (\(selector))"
    }

    static func substitute(_ expr: String, _ variables: [String: String]) -> String {
        var out = expr
        // Longest names first: $__range must not eat $__range_s, $bond not $bonds.
        for (name, value) in variables.sorted(by: { $0.key.count > $1.key.count }) {
            out = out.replacingOccurrences(of: "${\(name)}", with: value)
            var result = ""
            var rest = Substring(out)
            while let r = rest.range(of: "$" + name) {
                let after = rest[r.upperBound...].first
                result += rest[..<r.lowerBound]
                if let c = after, c.isLetter || c.isNumber || c == "_" {
                    result += rest[r]
                } else {
                    result += value
                }
                rest = rest[r.upperBound...]
            }
            out = result + rest
        }
        return out
    }
}
