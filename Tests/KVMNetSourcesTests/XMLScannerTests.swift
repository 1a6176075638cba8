import KVMNetSources
import Testing

/// The Foundation-free XML reader: what well-formed libvirt files hold, and a clear error
/// with a line for what is not well formed.
@Suite struct XMLScannerTests {
    func events(_ text: String) throws(XMLScanner.Failure) -> [XMLScanner.Event] {
        var out: [XMLScanner.Event] = []
        try XMLScanner.scan(text) { out.append($0) }
        return out
    }

    func failure(_ text: String) -> XMLScanner.Failure? {
        do {
            _ = try events(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func declarationsCommentsCDATAEntitiesAndEmptyElements() throws {
        let text = """
        \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE domain [ <!ELEMENT domain ANY> ]>
        <!-- written by libvirt -->
        <domain type = 'kvm' id="3">
          <name>vm &amp; &lt;1&gt; &#233;&#x41;</name>
          <desc><![CDATA[a <b> & c]]></desc>
          <mac address="52:54:00:AA:bb:01"/>
        </domain>
        <!-- trailing comment -->

        """
        let e = try events(text)
        #expect(e.first == .start(name: "domain", attributes: ["type": "kvm", "id": "3"], line: 4))
        #expect(e.contains(.text("vm & <1> éA")))
        #expect(e.contains(.text("a <b> & c")))
        #expect(e.contains(.start(name: "mac", attributes: ["address": "52:54:00:AA:bb:01"], line: 7)))
        #expect(e.contains(.end(name: "mac", line: 7)))
        #expect(e.last == .end(name: "domain", line: 8))
        let names = e.compactMap { if case .start(let n, _, _) = $0 { return n } else { return nil } }
        #expect(names == ["domain", "name", "desc", "mac"])
    }

    @Test("malformed documents are refused with the line of the fault", arguments: [
        ("<domain>\n<name>vm1</name>\n<devices>", 3, "document ends before </devices>"),
        ("<a>\n</b>", 2, "</b> does not close <a>"),
        ("<a></a>\n<b/>", 2, "<b> after the root element"),
        ("text<a/>", 1, "text before the root element"),
        ("<a/>\ntext", 2, "text after the root element"),
        ("<a x=1/>", 1, "value of attribute x of <a> is not quoted"),
        ("<a x='1' x='2'/>", 1, "attribute x repeated in <a>"),
        ("<a>&nbsp;</a>", 1, "unknown entity &nbsp;"),
        ("<a>&#0;</a>", 1, "unknown entity &#0;"),
        ("<a>a & b</a>", 1, "& without a ; (write &amp;)"),
        ("<a>\n<!-- open", 2, "unterminated comment"),
        ("<a x='1'", 1, "unterminated <a> tag"),
        ("<a x='<'/>", 1, "< in the value of attribute x"),
        ("<1a/>", 1, "expected element name"),
        ("", 1, "no root element"),
        ("<!-- only a comment -->", 1, "no root element"),
        ("</a>", 1, "</a> without a start tag"),
        ("<a x='1'y='2'/>", 1, "expected a space before an attribute of <a>"),
    ] as [(String, Int, String)])
    func malformed(_ text: String, line: Int, message: String) {
        #expect(failure(text) == XMLScanner.Failure(line: line, message: message))
    }

    @Test func theLibvirtParserReportsTheScannersLine() {
        #expect(throws: LibvirtXMLError(line: 4, message: "document ends before </devices>")) {
            try LibvirtXMLParser.parse("<domain><name>vm1</name>\n<devices>\n<interface type='bridge'>\n</interface>", file: "x")
        }
    }
}
