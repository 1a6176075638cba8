/*
 * fake-agent: a stand-in for kvmnet-agent, used only to test the kernel
 * lab's agent hook (packing a dynamically linked binary that uses libnl-3
 * into the initramfs, starting it, fetching /metrics into sections, and the
 * metric assertions of test_lab.py) before the real agent exists.
 *
 *   gcc -O2 -o .build-lab/fake-agent Tests/KernelLab/selftest/fake-agent.c \
 *       $(pkg-config --cflags --libs libnl-route-3.0)
 *
 * Serves GET /metrics on --web.listen-address=HOST:PORT with, per
 * /proc/net/bonding/<bond>:
 *   kvmnet_bond_up{bond}                    MII Status of the master
 *   kvmnet_bond_lacp_partner_present{bond}  802.3ad: partner MAC != 0
 * and kvmnet_fake_netlink_links (links in an rtnl_link cache: uses libnl).
 * NOT the real agent: no metric here is a contract of the project.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>

static int count_links(void)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    int n = -1;
    if (!sk)
        return -1;
    if (nl_connect(sk, NETLINK_ROUTE) == 0 &&
        rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) == 0) {
        n = nl_cache_nitems(cache);
        nl_cache_free(cache);
    }
    nl_socket_free(sk);
    return n;
}

static void bond_metrics(FILE *out)
{
    DIR *d = opendir("/proc/net/bonding");
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512], line[512];
        int up = 0, lacp = 0, partner = 0, master = 1;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/net/bonding/%s", e->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "Slave Interface:", 16) == 0)
                master = 0;
            if (master && strcmp(line, "MII Status: up\n") == 0)
                up = 1;
            if (strstr(line, "802.3ad Dynamic link aggregation"))
                lacp = 1;
            if (strncmp(line, "\tPartner Mac Address: ", 22) == 0 &&
                strcmp(line + 22, "00:00:00:00:00:00\n") != 0)
                partner = 1;
        }
        fclose(f);
        fprintf(out, "kvmnet_bond_up{bond=\"%s\"} %d\n", e->d_name, up);
        if (lacp)
            fprintf(out, "kvmnet_bond_lacp_partner_present{bond=\"%s\"} %d\n", e->d_name, partner);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    const char *listen_addr = "127.0.0.1:10245";
    char host[64];
    int port, s, one = 1;
    struct sockaddr_in sa;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--web.listen-address=", 21) == 0)
            listen_addr = argv[i] + 21;
        else if (strcmp(argv[i], "--version") == 0) {
            puts("fake-agent (kernel-lab selftest)");
            return 0;
        }
    }
    const char *colon = strrchr(listen_addr, ':');
    if (!colon || (size_t)(colon - listen_addr) >= sizeof host)
        return 2;
    memcpy(host, listen_addr, colon - listen_addr);
    host[colon - listen_addr] = 0;
    port = atoi(colon + 1);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return 2;
    s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 8) < 0) {
        perror("fake-agent: listen");
        return 1;
    }
    fprintf(stderr, "fake-agent: listening on %s\n", listen_addr);
    for (;;) {
        char req[2048], *body = NULL;
        size_t len = 0;
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        ssize_t r = read(c, req, sizeof req - 1);
        FILE *m = open_memstream(&body, &len);
        if (r > 0 && strncmp(req, "GET /metrics", 12) == 0) {
            bond_metrics(m);
            fprintf(m, "kvmnet_fake_netlink_links %d\n", count_links());
        }
        fclose(m);
        dprintf(c, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                r > 0 && strncmp(req, "GET /metrics", 12) == 0 ? "200 OK" : "404 Not Found", len);
        if (len)
            write(c, body, len);
        free(body);
        close(c);
    }
}
