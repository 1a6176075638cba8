#ifndef KVMNET_CLIBBPF_SHIM_H
#define KVMNET_CLIBBPF_SHIM_H
// libbpf (libbpf-dev) for KVMNetWatch: opening, loading and attaching kvmnet-diag watch's
// BPF object, its maps and ring buffer, and the kernel's BTF (enum skb_drop_reason).
// No `link` lines in module.modulemap: the library comes from pkg-config (libbpf).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

/// libbpf's print callback hands a format and a va_list; Swift cannot va_copy, so the
/// formatting is here: the whole message (a verifier log can be long), malloc'ed, for the
/// caller to free(); NULL when out of memory.
static inline char *kvmnet_libbpf_vformat(const char *format, va_list arguments) {
    va_list copy;
    va_copy(copy, arguments);
    int length = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (length < 0) return NULL;
    char *text = (char *)malloc((size_t)length + 1);
    if (text == NULL) return NULL;
    vsnprintf(text, (size_t)length + 1, format, arguments);
    return text;
}

#endif
