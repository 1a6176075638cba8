#ifndef KVMNET_SUBPROCESS_SHIM_H
#define KVMNET_SUBPROCESS_SHIM_H
// What KVMNetSubprocess needs from glibc that Swift's Glibc module does not export (it
// is built without _GNU_SOURCE). KVMNetSubprocess only: the one module that starts
// processes (see HardeningPrivilegeTests.audited). No `link` lines: libc is linked anyway.
#include <spawn.h>
#include <dlfcn.h>
#include <errno.h>

// pipe2(2) (glibc 2.9), as <unistd.h> declares it with _GNU_SOURCE: the pipes are made
// close-on-exec atomically, so that a process another thread spawns meanwhile does not
// inherit them (and hold a pipe open after its own child closed it).
extern int pipe2(int pipefd[2], int flags);

typedef int (*kvmnet_addclosefrom_fn)(posix_spawn_file_actions_t *actions, int from);
typedef int (*kvmnet_addchdir_fn)(posix_spawn_file_actions_t *actions, const char *path);

// posix_spawn_file_actions_addclosefrom_np (glibc 2.34) if this libc has it, else ENOSYS.
// Looked up at run time, not linked: kvmnet-diag must still start on an older glibc.
static inline int kvmnet_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    kvmnet_addclosefrom_fn f = (kvmnet_addclosefrom_fn)dlsym((void *)0 /* RTLD_DEFAULT */, "posix_spawn_file_actions_addclosefrom_np");
    return f ? f(actions, from) : ENOSYS;
}

// posix_spawn_file_actions_addchdir_np (glibc 2.29) if this libc has it, else ENOSYS.
static inline int kvmnet_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    kvmnet_addchdir_fn f = (kvmnet_addchdir_fn)dlsym((void *)0 /* RTLD_DEFAULT */, "posix_spawn_file_actions_addchdir_np");
    return f ? f(actions, path) : ENOSYS;
}

#endif
