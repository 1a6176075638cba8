import Yams

/// Every document of `text` as Yams composes it, or Yams' error: `compose_all`'s sequence
/// ends quietly at an error (kept in its `error`), which would make invalid YAML look like
/// a stream with fewer documents.
func yamsDocuments(_ text: String) throws -> [Node] {
    var sequence = try compose_all(yaml: text)
    var documents: [Node] = []
    while let document = sequence.next() { documents.append(document) }
    if let error = sequence.error { throw error }
    return documents
}
