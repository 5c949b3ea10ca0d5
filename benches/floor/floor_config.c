/* The floor plus what the benchmark's config.json itself asks of the kernel, and nothing else:
 * no config to parse, no state to save, no handshake, no checks, every path trusted. What any
 * runtime that honours that config must at least pay, to tell a runtime's own overhead from
 * the work it is asked to do.
 *
 * Before the clone: the container's cgroup in every v1 hierarchy (cpuset copied down) and the
 * device rules. In the child: it enters those cgroups itself (tasks), unshares a cgroup
 * namespace, makes / a slave, binds the rootfs, mounts proc, /dev (tmpfs), devpts, /dev/shm,
 * mqueue, sysfs (ro) and the cgroup view (a tmpfs, each hierarchy's cgroup bound on it, all
 * read-only), makes the six default devices and five links, sets the hostname, pivots, masks
 * the masked paths that exist, binds the read-only paths read-only, remounts / read-only, drops
 * the bounding set to the config's three capabilities, and execs /bin/true. After it exits, the
 * cgroups are removed.
 *
 *   floor_config ROOTFS ID        (cgroup v1 hosts, as root)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_H 16
static char hier[MAX_H][256], name[MAX_H][256], dirs[MAX_H][512];
static int nh;
static const char *rootfs;
static char stack[256 * 1024];

static void die(const char *what) { perror(what); _exit(1); }

static void put(const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, strlen(value)) < 0) die(path);
    close(fd);
}

static void get(const char *path, char *buf, size_t n) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd < 0 ? -1 : read(fd, buf, n - 1);
    if (r < 0) die(path);
    buf[r] = 0;
    close(fd);
}

struct mount_attr_arg { unsigned long long set, clr, prop, userns; };

static void readonly_tree(const char *path) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    struct mount_attr_arg a = {0x1 | 0x2 | 0x4 | 0x8, 0, 0, 0}; /* ro nosuid nodev noexec */
    if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a))
        die(path);
    close(fd);
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags,
                const char *data) {
    if (mount(src, dst, type, flags, data)) die(dst);
}

static int child(void *arg) {
    (void)arg;
    char p[1024];
    for (int i = 0; i < nh; i++) {
        snprintf(p, sizeof p, "%s/tasks", dirs[i]);
        put(p, "0");
    }
    if (unshare(CLONE_NEWCGROUP)) die("unshare cgroup");
    mnt(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL);
    mnt(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
    if (chdir(rootfs)) die("chdir");
    mnt("proc", "proc", "proc", 0, NULL);
    mnt("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    mkdir("dev/pts", 0755);
    mnt("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620,gid=5");
    mkdir("dev/shm", 0755);
    mnt("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    mkdir("dev/mqueue", 0755);
    mnt("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mnt("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mnt("tmpfs", "sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
    for (int i = 0; i < nh; i++) {
        snprintf(p, sizeof p, "sys/fs/cgroup/%s", name[i]);
        mkdir(p, 0755);
        mnt(dirs[i], p, NULL, MS_BIND | MS_REC, NULL);
    }
    readonly_tree("sys/fs/cgroup");
    umask(0);
    static const struct { const char *n; int ma, mi; } devs[] = {
        {"dev/null", 1, 3}, {"dev/zero", 1, 5}, {"dev/full", 1, 7},
        {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
    for (int i = 0; i < 6; i++)
        if (mknod(devs[i].n, S_IFCHR | 0666, makedev(devs[i].ma, devs[i].mi))) die(devs[i].n);
    umask(022);
    symlink("/proc/self/fd", "dev/fd");
    symlink("/proc/self/fd/0", "dev/stdin");
    symlink("/proc/self/fd/1", "dev/stdout");
    symlink("/proc/self/fd/2", "dev/stderr");
    symlink("pts/ptmx", "dev/ptmx");
    if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
    if (umount2(".", MNT_DETACH)) die("umount");
    if (chdir("/")) die("chdir /");
    static const char *masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/scsi"};
    for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) {
        struct stat st;
        if (lstat(masked[i], &st)) continue;
        if (S_ISDIR(st.st_mode)) mnt("tmpfs", masked[i], "tmpfs", MS_RDONLY, NULL);
        else mnt("/dev/null", masked[i], NULL, MS_BIND, NULL);
    }
    static const char *ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                               "/proc/sysrq-trigger"};
    for (size_t i = 0; i < sizeof ro / sizeof *ro; i++) {
        struct stat st;
        if (lstat(ro[i], &st)) continue;
        mnt(ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL);
        mnt(NULL, ro[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
    }
    mnt(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
    if (sethostname("carrack", 7)) die("sethostname");
    /* Bounding set: keep CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10). */
    for (int c = 0; c <= 40; c++)
        if (c != 29 && c != 5 && c != 10) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve("/bin/true", argv, envp);
    die("exec");
    return 127;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: floor_config ROOTFS ID\n"); return 2; }
    rootfs = argv[1];
    /* The v1 hierarchies: /sys/fs/cgroup/NAME mounts of type cgroup. */
    FILE *mi = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    while (mi && fgets(line, sizeof line, mi) && nh < MAX_H) {
        char point[256];
        char *dash = strstr(line, " - cgroup ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %255s", point) != 1) continue;
        if (strncmp(point, "/sys/fs/cgroup/", 15) || strchr(point + 15, '/')) continue;
        snprintf(hier[nh], sizeof hier[nh], "%s", point);
        snprintf(name[nh], sizeof name[nh], "%s", point + 15);
        if (snprintf(dirs[nh], sizeof dirs[nh], "%s/floor-%.64s", point, argv[2]) >= 400) continue;
        nh++;
    }
    if (mi) fclose(mi);
    char p[1024], v[256];
    for (int i = 0; i < nh; i++) {
        if (mkdir(dirs[i], 0755)) die(dirs[i]);
        if (!strcmp(name[i], "cpuset")) {
            static const char *files[] = {"cpuset.cpus", "cpuset.mems"};
            for (int f = 0; f < 2; f++) {
                snprintf(p, sizeof p, "%s/%s", hier[i], files[f]);
                get(p, v, sizeof v);
                snprintf(p, sizeof p, "%s/%s", dirs[i], files[f]);
                put(p, v);
            }
        }
        if (!strcmp(name[i], "devices")) {
            static const char *allow[] = {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm",
                "c 1:7 rwm", "c 5:0 rwm", "c 1:5 rwm", "c 1:9 rwm", "c 5:1 rwm",
                "c 136:* rwm", "c 5:2 rwm"};
            snprintf(p, sizeof p, "%s/devices.deny", dirs[i]);
            put(p, "a *:* rwm");
            snprintf(p, sizeof p, "%s/devices.allow", dirs[i]);
            int fd = open(p, O_WRONLY | O_CLOEXEC);
            if (fd < 0) die(p);
            for (size_t r = 0; r < sizeof allow / sizeof *allow; r++)
                if (write(fd, allow[r], strlen(allow[r])) < 0) die(p);
            close(fd);
        }
    }
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
    pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
    if (pid < 0) die("clone");
    int status;
    if (waitpid(pid, &status, 0) < 0) die("waitpid");
    for (int i = 0; i < nh; i++)
        if (rmdir(dirs[i])) die(dirs[i]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
