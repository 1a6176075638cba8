/* The few kernel types watch.bpf.c reads, for BPF CO-RE: each struct carries
 * preserve_access_index, so clang records every field access as a relocation that libbpf
 * resolves against the running kernel's BTF (/sys/kernel/btf/vmlinux) at load time. Only
 * the fields used are declared, at no particular offset: the kernel's layout (6.1, 6.12,
 * 6.18...) is the one that counts. Not a generated vmlinux.h on purpose: small, reviewable,
 * independent of the build host's kernel. */
#ifndef KVMNET_VMLINUX_H
#define KVMNET_VMLINUX_H

/* The uapi integer types. <linux/types.h> cannot be used: under -target bpf it needs
 * <asm/types.h>, which lives in the host's multiarch directory (/usr/include/x86_64-linux-gnu)
 * that clang does not search for the BPF target. libbpf's headers need these names. */
typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };

/* The map types used, with their uapi values (<linux/bpf.h>, enum bpf_map_type; the same
 * <asm/types.h> problem keeps that header out). */
enum bpf_map_type {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    BPF_MAP_TYPE_RINGBUF = 27,
};

struct ns_common {
    unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
    struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
    struct net *net;
} __attribute__((preserve_access_index)) possible_net_t;

struct net_device {
    int ifindex;
    possible_net_t nd_net;
} __attribute__((preserve_access_index));

/* dev, vlan_proto/vlan_tci and mac_header sit in anonymous unions and struct groups in the
 * kernel's struct: libbpf's CO-RE matching looks through anonymous members. */
struct sk_buff {
    struct net_device *dev;
    unsigned int len;
    int skb_iif;
    __be16 vlan_proto;
    __u16 vlan_tci;
    __u16 mac_header;
    unsigned char *head;
} __attribute__((preserve_access_index));

#endif
