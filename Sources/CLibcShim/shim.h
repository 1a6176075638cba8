#ifndef KVMNET_CLIBC_SHIM_H
#define KVMNET_CLIBC_SHIM_H
// The C declarations Swift's Glibc module does not export, typed from the system's own
// headers instead of looked up with dlsym and cast to a hand-written signature:
// - <malloc.h>: mallopt (M_ARENA_MAX, M_MMAP_THRESHOLD) and malloc_trim, for the agent;
// - <crypt.h>: libxcrypt's crypt_rn and the size of struct crypt_data, for bcrypt;
// - setns(2), which <sched.h> declares only under _GNU_SOURCE (the Glibc module is
//   built without it), for the tests that enter network namespaces.
// No `link` lines: libc is linked anyway, and libcrypt is loaded at run time (below).
#include <malloc.h>
#include <crypt.h>
#include <dlfcn.h>
#include <stddef.h>

// setns(2) as <sched.h> declares it with _GNU_SOURCE.
extern int setns(int fd, int nstype);

// crypt_rn's type, as <crypt.h> declares it (the assertion keeps the two the same).
typedef char *(*kvmnet_crypt_rn_fn)(const char *phrase, const char *setting, void *data, int size);
_Static_assert(__builtin_types_compatible_p(kvmnet_crypt_rn_fn, __typeof__(&crypt_rn)),
               "kvmnet_crypt_rn_fn differs from crypt_rn in <crypt.h>");

// crypt_rn from a libcrypt opened with dlopen, or NULL when that library has none (it is
// not libxcrypt). libcrypt is not linked: its soname is libcrypt.so.1 on Debian and
// Ubuntu but libcrypt.so.2 on Fedora and RHEL, and the agent must start without it
// (only basic_auth_users needs it).
static inline kvmnet_crypt_rn_fn kvmnet_crypt_rn(void *libcrypt) {
    return (kvmnet_crypt_rn_fn)dlsym(libcrypt, "crypt_rn");
}

// The size of the work area crypt_rn needs.
static inline int kvmnet_crypt_data_size(void) { return (int)sizeof(struct crypt_data); }

#endif
