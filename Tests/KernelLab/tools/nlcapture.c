/*
 * nlcapture: RTM_GETLINK dump (AF_UNSPEC) over a plain NETLINK_ROUTE socket;
 * prints every RTM_NEWLINK message as one line "<ifname> <hex of the whole
 * message, nlmsghdr onwards>".  No libnl: built on the host with
 * `gcc -O2 -static` and packed into the kernel-lab initramfs as /bin/nlcapture.
 * Exit status: 0 after NLMSG_DONE, 1 on any error (message on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

static void print_msg(const struct nlmsghdr *h)
{
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
    const char *name = NULL;
    const struct rtattr *a;
    const unsigned char *p = (const unsigned char *)h;
    char fallback[32];

    if (len < 0)
        return;
    for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0) {
            name = RTA_DATA(a);
            break;
        }
    }
    if (!name) {
        snprintf(fallback, sizeof(fallback), "ifindex%d", ifi->ifi_index);
        name = fallback;
    }
    printf("%.*s ", IFNAMSIZ, name);
    for (unsigned i = 0; i < h->nlmsg_len; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

int main(void)
{
    static unsigned char buf[1 << 16];
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
    } req;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

    if (fd < 0) { perror("nlcapture: socket"); return 1; }
    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
    req.nh.nlmsg_type = RTM_GETLINK;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = 1;
    req.ifi.ifi_family = AF_UNSPEC;
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
            if (h->nlmsg_type == RTM_NEWLINK)
                print_msg(h);
        }
    }
}
