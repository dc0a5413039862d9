/* LD_PRELOAD shim for tests: every write(2) to stdout returns only after 300 ms.
 *
 * A process that announces readiness on stdout and installs its SIGTERM handler after that line
 * is then stopped while it is still without a handler, deterministically instead of once in a
 * while under load. Built by the test that uses it (gcc -shared -fPIC slow_stdout.c -ldl). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t count) {
    static ssize_t (*real_write)(int, const void *, size_t);
    if (!real_write) real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    ssize_t written = real_write(fd, buf, count);
    if (fd == 1) {
        struct timespec pause = {0, 300 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return written;
}
