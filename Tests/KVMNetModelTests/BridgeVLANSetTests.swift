import KVMNetModel
import Testing

@Suite struct BridgeVLANSetTests {
    typealias R = BridgeVLANSet.Range

    @Test func aTrunkIsOneRange() {
        let trunk = BridgeVLANSet(ranges: [R(first: 2, last: 4094)])
        #expect(trunk.ranges.count == 1)
        #expect(trunk.count == 4093)
        #expect(trunk.contains(2) && trunk.contains(4094) && !trunk.contains(1))
        #expect(trunk.text == "2-4094")
        #expect(trunk.pvid == nil)
    }

    @Test func neighboursWithTheSameFlagAreJoinedAndOthersKept() {
        let set = BridgeVLANSet(ranges: [R(vid: 20), R(vid: 10, untagged: true), R(first: 11, last: 19), R(vid: 21)], pvid: 10)
        #expect(set.ranges == [R(vid: 10, untagged: true), R(first: 11, last: 21)])
        #expect(set.text == "10-21")
        #expect(set.untaggedText == "10")
        #expect(set.untaggedCount == 1)
        #expect(set.egressUntagged(10) == true)
        #expect(set.egressUntagged(15) == false)
        #expect(set.egressUntagged(30) == nil)
        #expect(set.pvid == 10)
    }

    @Test func aPVIDThatIsNoMemberIsDropped() {
        #expect(BridgeVLANSet(ranges: [R(vid: 10)], pvid: 20).pvid == nil)
    }

    @Test func aLaterOverlappingRangeWinsTheFlag() {
        let set = BridgeVLANSet(ranges: [R(first: 1, last: 10), R(vid: 5, untagged: true)])
        #expect(set.ranges == [R(first: 1, last: 4), R(vid: 5, untagged: true), R(first: 6, last: 10)])
        #expect(set.count == 10)
    }

    @Test func intersectionOfRanges() {
        let a = BridgeVLANSet(ranges: [R(first: 1, last: 10), R(first: 20, last: 30)])
        let b = BridgeVLANSet(ranges: [R(first: 5, last: 25, untagged: true)])
        #expect(a.intersection(b) == [5...10, 20...25])
        #expect(a.intersection(BridgeVLANSet()) == [])
    }

    @Test func lookupAgreesWithALinearScanOnManyRanges() {
        // Every third VLAN, so no two ranges join: 1365 ranges, binary search on them.
        let set = BridgeVLANSet(ranges: stride(from: 1, through: 4094, by: 3).map { R(vid: $0, untagged: $0 % 2 == 0) })
        for vid in 0...4095 {
            let expected = vid >= 1 && vid <= 4094 && (vid - 1) % 3 == 0
            #expect(set.contains(vid) == expected)
        }
    }

    @Test func protocolFromEtherType() {
        #expect(VLANProtocol(etherType: 0x8100) == .dot1Q)
        #expect(VLANProtocol(etherType: 0x88a8) == .dot1ad)
        #expect(VLANProtocol(etherType: 0x0800) == nil)
        #expect(VLANProtocol.dot1ad.etherType == 0x88a8)
    }
}
