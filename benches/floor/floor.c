/* The floor for a container start: clone into fresh pid, mount, uts, ipc, net and cgroup
 * namespaces, make the rootfs a mount, pivot_root into it, exec /bin/true, wait. No config,
 * no state, no cgroup setup: what any runtime must at least pay. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024];
static const char *rootfs;

static int child(void *arg) {
    (void)arg;
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL)) { perror("slave"); return 1; }
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL)) { perror("bind"); return 1; }
    if (chdir(rootfs)) { perror("chdir"); return 1; }
    if (syscall(SYS_pivot_root, ".", ".")) { perror("pivot_root"); return 1; }
    if (umount2(".", MNT_DETACH)) { perror("umount"); return 1; }
    if (chdir("/")) { perror("chdir /"); return 1; }
    char *argv[] = {"/bin/true", NULL};
    execv("/bin/true", argv);
    perror("exec");
    return 127;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: floor ROOTFS\n"); return 2; }
    rootfs = argv[1];
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                CLONE_NEWCGROUP | SIGCHLD;
    pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
    if (pid < 0) { perror("clone"); return 1; }
    int status;
    if (waitpid(pid, &status, 0) < 0) { perror("waitpid"); return 1; }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
