// SPDX-License-Identifier: GPL-2.0
/* kvmnet-diag watch: the frames between two ends of a path, as the kernel handles them.
 *
 * Three BTF tracepoints (tp_btf: typed arguments, no tracefs), each reporting one
 * struct kvmnet_watch_event (watch_event.h) per frame into a ring buffer:
 *   skb:kfree_skb            drops, with the drop reason and the freeing location
 *   net:netif_receive_skb    a device received the frame
 *   net:net_dev_start_xmit   a device sends the frame
 * Only frames whose source (MAC or IPv4) and destination (MAC or IPv4) are both in the
 * sets user space fills before attaching (kvmnet_macs, kvmnet_ipv4) are reported.
 *
 * Loads on Linux 6.1 to 6.18: kfree_skb has 3 arguments on 6.1 (skb, location, reason)
 * and 4 later (+ rx_sk): only the first 3 are read. The VLAN tag is taken from
 * skb->vlan_proto/vlan_tci (vlan_present is gone since 6.1).
 *
 * Compiled at build time by Plugins/BPFObjectPlugin (clang -O2 -g -target bpf) and
 * embedded into KVMNetWatch; loaded by FrameWatcher. */
#include "kvmnet_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "watch_event.h"

char LICENSE[] SEC("license") = "GPL";

/* MAC addresses to watch: the 48 bits with the first byte most significant (as
 * FrameEventDecoder reads them); the value is unused. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, __u64);
    __type(value, __u8);
} kvmnet_macs SEC(".maps");

/* IPv4 addresses to watch: the 4 packet bytes, in packet order, as a u32. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u8);
} kvmnet_ipv4 SEC(".maps");

/* The records. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 20);
} kvmnet_events SEC(".maps");

/* Records that did not fit in the ring buffer, per CPU (user space sums them). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} kvmnet_lost SEC(".maps");

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define IPPROTO_ICMP 1
#define MAC_HEADER_UNSET 0xffff

struct eth_header {
    __u8 dst[6];
    __u8 src[6];
    __be16 proto;
};

struct vlan_header {
    __be16 tci;
    __be16 inner_proto;
};

struct ipv4_header {
    __u8 version_ihl;
    __u8 tos;
    __be16 total_length;
    __be16 id;
    __be16 fragment;
    __u8 ttl;
    __u8 protocol;
    __u16 check;
    __u8 saddr[4];
    __u8 daddr[4];
};

/* ARP for Ethernet and IPv4 (the only kind decoded). */
struct arp_header {
    __be16 hardware;
    __be16 protocol;
    __u8 hardware_length;
    __u8 protocol_length;
    __be16 operation;
    __u8 sender_mac[6];
    __u8 sender_ip[4];
    __u8 target_mac[6];
    __u8 target_ip[4];
};

static __always_inline __u64 mac_key(const __u8 *m)
{
    return ((__u64)m[0] << 40) | ((__u64)m[1] << 32) | ((__u64)m[2] << 24) |
           ((__u64)m[3] << 16) | ((__u64)m[4] << 8) | (__u64)m[5];
}

static __always_inline bool watched(const __u8 *mac, const __u8 *ip, bool has_ip)
{
    __u64 mk = mac_key(mac);
    if (bpf_map_lookup_elem(&kvmnet_macs, &mk))
        return true;
    if (!has_ip)
        return false;
    __u32 ik;
    __builtin_memcpy(&ik, ip, 4);
    return bpf_map_lookup_elem(&kvmnet_ipv4, &ik) != 0;
}

/* Decodes the frame, applies the filter and writes the record; 0 when written or
 * filtered out. */
static __always_inline int report(__u32 kind, struct sk_buff *skb, struct net_device *dev,
                                  __u64 location, __u32 reason)
{
    struct kvmnet_watch_event e;
    __builtin_memset(&e, 0, sizeof(e));

    if (!skb)
        return 0;
    __u16 mac_header = BPF_CORE_READ(skb, mac_header);
    if (mac_header == MAC_HEADER_UNSET)
        return 0;
    unsigned char *mac = BPF_CORE_READ(skb, head) + mac_header;

    struct eth_header eth;
    if (bpf_probe_read_kernel(&eth, sizeof(eth), mac))
        return 0;
    __u16 ethertype = bpf_ntohs(eth.proto);
    __u32 offset = ETH_HLEN;

    if (BPF_CORE_READ(skb, vlan_proto) != 0) {
        e.flags = KVMNET_WATCH_VLAN;
        e.vlan_tci = BPF_CORE_READ(skb, vlan_tci);
    } else if (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) {
        struct vlan_header vlan;
        if (bpf_probe_read_kernel(&vlan, sizeof(vlan), mac + ETH_HLEN))
            return 0;
        e.flags = KVMNET_WATCH_VLAN | KVMNET_WATCH_VLAN_IN_DATA;
        e.vlan_tci = bpf_ntohs(vlan.tci);
        ethertype = bpf_ntohs(vlan.inner_proto);
        offset += sizeof(vlan);
    }
    e.ethertype = ethertype;

    bool has_ip = false;
    if (ethertype == ETH_P_IP) {
        struct ipv4_header ip;
        if (bpf_probe_read_kernel(&ip, sizeof(ip), mac + offset) == 0) {
            has_ip = true;
            e.ip_proto = ip.protocol;
            __builtin_memcpy(e.src_ip, ip.saddr, 4);
            __builtin_memcpy(e.dst_ip, ip.daddr, 4);
            __u32 ihl = ip.version_ihl & 0x0f;
            /* ICMP type: the first byte after the header's ihl words, only in the first
             * fragment (offset 0). */
            if (ip.protocol == IPPROTO_ICMP && ihl >= 5 && (bpf_ntohs(ip.fragment) & 0x1fff) == 0) {
                __u8 type = 0;
                if (bpf_probe_read_kernel(&type, 1, mac + offset + ihl * 4) == 0)
                    e.icmp_type = type;
            }
        }
    } else if (ethertype == ETH_P_ARP) {
        struct arp_header arp;
        if (bpf_probe_read_kernel(&arp, sizeof(arp), mac + offset) == 0 &&
            bpf_ntohs(arp.hardware) == 1 && bpf_ntohs(arp.protocol) == ETH_P_IP &&
            arp.hardware_length == 6 && arp.protocol_length == 4) {
            has_ip = true;
            e.ip_proto = (__u8)bpf_ntohs(arp.operation);
            __builtin_memcpy(e.src_ip, arp.sender_ip, 4);
            __builtin_memcpy(e.dst_ip, arp.target_ip, 4);
        }
    }

    if (!watched(eth.src, e.src_ip, has_ip) || !watched(eth.dst, e.dst_ip, has_ip))
        return 0;

    e.timestamp_ns = bpf_ktime_get_ns();
    e.location = location;
    e.kind = kind;
    e.reason = reason;
    if (dev) {
        e.ifindex = BPF_CORE_READ(dev, ifindex);
        e.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
    }
    e.skb_iif = BPF_CORE_READ(skb, skb_iif);
    e.length = BPF_CORE_READ(skb, len);
    __builtin_memcpy(e.src_mac, eth.src, 6);
    __builtin_memcpy(e.dst_mac, eth.dst, 6);

    struct kvmnet_watch_event *slot = bpf_ringbuf_reserve(&kvmnet_events, sizeof(e), 0);
    if (!slot) {
        __u32 zero = 0;
        __u64 *lost = bpf_map_lookup_elem(&kvmnet_lost, &zero);
        if (lost)
            *lost += 1; /* per CPU: no other writer */
        return 0;
    }
    __builtin_memcpy(slot, &e, sizeof(e));
    bpf_ringbuf_submit(slot, 0);
    return 0;
}

/* kfree_skb(skb, location, reason[, rx_sk]) */
SEC("tp_btf/kfree_skb")
int kvmnet_drop(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    return report(KVMNET_WATCH_DROP, skb, BPF_CORE_READ(skb, dev), ctx[1], (__u32)ctx[2]);
}

/* netif_receive_skb(skb) */
SEC("tp_btf/netif_receive_skb")
int kvmnet_receive(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    return report(KVMNET_WATCH_RECEIVE, skb, BPF_CORE_READ(skb, dev), 0, 0);
}

/* net_dev_start_xmit(skb, dev) */
SEC("tp_btf/net_dev_start_xmit")
int kvmnet_transmit(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    return report(KVMNET_WATCH_TRANSMIT, skb, (struct net_device *)ctx[1], 0, 0);
}
