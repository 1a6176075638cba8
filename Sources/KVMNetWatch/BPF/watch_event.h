/* The record kvmnet's watch program (watch.bpf.c) writes to its ring buffer, one per
 * frame between the two ends. Decoded by Sources/KVMNetSources/Kernel/FrameEventDecoder.swift:
 * keep both in step (KVMNET_WATCH_EVENT_SIZE is checked there). Little-endian host order
 * except the IPv4 addresses, which are the packet's bytes. */
#ifndef KVMNET_WATCH_EVENT_H
#define KVMNET_WATCH_EVENT_H

#define KVMNET_WATCH_EVENT_SIZE 72

enum kvmnet_watch_kind {
    KVMNET_WATCH_DROP = 1,      /* skb:kfree_skb */
    KVMNET_WATCH_RECEIVE = 2,   /* net:netif_receive_skb: the frame entered a device */
    KVMNET_WATCH_TRANSMIT = 3,  /* net:net_dev_start_xmit: the frame left a device */
};

enum kvmnet_watch_flags {
    KVMNET_WATCH_VLAN = 1,        /* vlan_tci holds a tag */
    KVMNET_WATCH_VLAN_IN_DATA = 2 /* ... read from the frame's header, not the skb's tag */
};

struct kvmnet_watch_event {
    __u64 timestamp_ns;   /*  0 bpf_ktime_get_ns() */
    __u64 location;       /*  8 kfree_skb's location (a kernel text address); 0 otherwise */
    __u32 kind;           /* 16 enum kvmnet_watch_kind */
    __u32 reason;         /* 20 enum skb_drop_reason (drops only) */
    __u32 ifindex;        /* 24 skb->dev->ifindex; 0 when the skb has no device */
    __u32 netns;          /* 28 inode number of skb->dev's network namespace; 0 without device */
    __u32 skb_iif;        /* 32 skb->skb_iif: the device the frame arrived on */
    __u32 length;         /* 36 skb->len */
    __u16 vlan_tci;       /* 40 the VLAN tag (with KVMNET_WATCH_VLAN) */
    __u16 ethertype;      /* 42 the inner EtherType (after any VLAN header) */
    __u8 ip_proto;        /* 44 IPv4 protocol; ARP: the operation (1 request, 2 reply) */
    __u8 flags;           /* 45 enum kvmnet_watch_flags */
    __u8 icmp_type;       /* 46 ICMP type for IPv4 ICMP */
    __u8 pad0;            /* 47 */
    __u8 src_mac[6];      /* 48 */
    __u8 dst_mac[6];      /* 54 */
    __u8 src_ip[4];       /* 60 IPv4 source; ARP: sender protocol address */
    __u8 dst_ip[4];       /* 64 IPv4 destination; ARP: target protocol address */
    __u32 pad1;           /* 68 */
};

#endif
