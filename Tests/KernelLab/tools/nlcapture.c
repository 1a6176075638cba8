/*
 * nlcapture: raw rtnetlink messages for the netlink decoder's fixtures.  No
 * libnl: built on the host with `gcc -O2 -static` and packed into the
 * kernel-lab initramfs as /bin/nlcapture.
 *
 *   nlcapture                  RTM_GETLINK dump, AF_UNSPEC; every RTM_NEWLINK as
 *                              "<ifname> <hex of the whole message, nlmsghdr onwards>"
 *   nlcapture bridge           RTM_GETLINK dump, AF_BRIDGE, IFLA_EXT_MASK
 *                              RTEXT_FILTER_BRVLAN_COMPRESSED (what `bridge vlan show`
 *                              and kvmnet's dump ask for); same line format
 *   nlcapture monitor CMD...   joins RTNLGRP_LINK and RTNLGRP_BRVLAN, runs CMD, and
 *                              prints every message received until 0.5 s of silence
 *                              after CMD exited, as
 *                              "<group> <type> <family> <name> <hex>"
 *                              (group from NETLINK_PKTINFO; type RTM_*; name from
 *                              IFLA_IFNAME, or "ifindex<N>" for RTM_NEWVLAN/DELVLAN)
 * Exit status: 0 after NLMSG_DONE (dumps) or when CMD exited 0 (monitor); 1 on
 * any error (message on stderr).  A group the kernel does not have is reported
 * on stderr ("no group 33") and skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_bridge.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const char *msg_name(const struct nlmsghdr *h, char *fallback, size_t n)
{
    if (h->nlmsg_type == RTM_NEWVLAN || h->nlmsg_type == RTM_DELVLAN) {
        const struct br_vlan_msg *bvm = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*bvm)))
            return "short";
        snprintf(fallback, n, "ifindex%u", bvm->ifindex);
        return fallback;
    }
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
    if (len < 0)
        return "short";
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0)
            return RTA_DATA(a);
    snprintf(fallback, n, "ifindex%d", ifi->ifi_index);
    return fallback;
}

static void print_hex(const struct nlmsghdr *h)
{
    const unsigned char *p = (const unsigned char *)h;
    for (unsigned i = 0; i < h->nlmsg_len; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static int dump(unsigned char family, int ext_mask)
{
    static unsigned char buf[1 << 16];
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
        struct rtattr rta;
        __u32 mask;
    } req;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    char fallback[32];

    if (fd < 0) { perror("nlcapture: socket"); return 1; }
    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
    req.nh.nlmsg_type = RTM_GETLINK;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = 1;
    req.ifi.ifi_family = family;
    if (ext_mask >= 0) {
        req.rta.rta_type = IFLA_EXT_MASK;
        req.rta.rta_len = RTA_LENGTH(sizeof(req.mask));
        req.mask = (__u32)ext_mask;
        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_LENGTH(sizeof(req.mask));
    }
    if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("nlcapture: sendto");
        return 1;
    }
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("nlcapture: recv");
            return 1;
        }
        if (n == 0) { fprintf(stderr, "nlcapture: EOF\n"); return 1; }
        int rem = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
            if (h->nlmsg_type == NLMSG_DONE) { fflush(stdout); return 0; }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                fprintf(stderr, "nlcapture: netlink error %d (%s)\n", e->error, strerror(-e->error));
                return 1;
            }
            if (h->nlmsg_type == RTM_NEWLINK) {
                printf("%.*s ", IFNAMSIZ, msg_name(h, fallback, sizeof(fallback)));
                print_hex(h);
            }
        }
    }
}

static int monitor(char **argv)
{
    static unsigned char buf[1 << 16];
    static const int groups[] = { RTNLGRP_LINK, RTNLGRP_BRVLAN };
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    int one = 1, rcvbuf = 1 << 20, status = 0, exited = 0;
    char fallback[32];
    pid_t pid;

    if (fd < 0) { perror("nlcapture: socket"); return 1; }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) { perror("nlcapture: bind"); return 1; }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (setsockopt(fd, SOL_NETLINK, NETLINK_PKTINFO, &one, sizeof(one)) < 0) {
        perror("nlcapture: NETLINK_PKTINFO");
        return 1;
    }
    for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0)
            fprintf(stderr, "nlcapture: no group %d (%s)\n", groups[i], strerror(errno));
    fflush(stdout);
    pid = fork();
    if (pid < 0) { perror("nlcapture: fork"); return 1; }
    if (pid == 0) {
        close(fd);
        execv(argv[0], argv);
        perror("nlcapture: exec");
        _exit(127);
    }
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (!exited && waitpid(pid, &status, WNOHANG) == pid)
            exited = 1;
        int r = poll(&p, 1, exited ? 500 : 50);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("nlcapture: poll");
            return 1;
        }
        if (r == 0) {
            if (exited) break;
            continue;
        }
        union { char b[CMSG_SPACE(sizeof(struct nl_pktinfo))]; struct cmsghdr align; } ctl;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
        ssize_t n = recvmsg(fd, &mh, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("nlcapture: recvmsg");
            return 1;
        }
        unsigned group = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_PKTINFO)
                group = ((struct nl_pktinfo *)CMSG_DATA(c))->group;
        int rem = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
            unsigned family = h->nlmsg_len >= NLMSG_LENGTH(1) ? *(unsigned char *)NLMSG_DATA(h) : 255;
            printf("%u %u %u %s ", group, h->nlmsg_type, family, msg_name(h, fallback, sizeof(fallback)));
            print_hex(h);
        }
    }
    fflush(stdout);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "nlcapture: %s exited with status %d\n", argv[0], status);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 1)
        return dump(AF_UNSPEC, -1);
    if (argc == 2 && strcmp(argv[1], "bridge") == 0)
        return dump(AF_BRIDGE, RTEXT_FILTER_BRVLAN_COMPRESSED);
    if (argc >= 3 && strcmp(argv[1], "monitor") == 0)
        return monitor(argv + 2);
    fprintf(stderr, "usage: nlcapture [bridge | monitor CMD [ARGS...]]\n");
    return 1;
}
