/* steptrace: runs a command under ptrace, single-stepping it and every process it forks or
 * clones until that process execs something else, and prints each distinct instruction
 * address inside [LO, HI) in the order first executed (hex, one per line, appended to OUT).
 * scripts/build-dist uses it to learn which functions a container start executes, in the
 * runtime and in the container's init (valgrind cannot follow init: it lacks openat2).
 * Processes the command leaves behind go on untraced once it exits.
 *
 *   steptrace OUT LO HI COMMAND [ARGS...]  (LO, HI: hex addresses of the text segment)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t *seen;
static uintptr_t lo, hi;
static pid_t traced[4096];
static int ntraced;

static void track(pid_t p) {
    for (int i = 0; i < ntraced; i++) if (traced[i] == p) return;
    if (ntraced < 4096) traced[ntraced++] = p;
}

static void untrack(pid_t p) {
    for (int i = 0; i < ntraced; i++) if (traced[i] == p) { traced[i] = traced[--ntraced]; return; }
}

/* Lets the processes still traced go on untraced (single-stepping off): each is stopped, so
 * that it can be detached, and detached with the stop suppressed. */
static void release_all(void) {
    for (int i = 0; i < ntraced; i++) {
        pid_t p = traced[i];
        int st;
        if (kill(p, SIGSTOP) != 0) continue;
        while (waitpid(p, &st, __WALL) == p) {
            if (!WIFSTOPPED(st)) break;
            if (WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0) { ptrace(PTRACE_DETACH, p, NULL, NULL); break; }
            ptrace(PTRACE_SINGLESTEP, p, NULL, NULL);
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: steptrace OUT LO HI COMMAND [ARGS...]\n"); return 2; }
    FILE *out = fopen(argv[1], "ae");
    if (!out) { perror(argv[1]); return 1; }
    lo = strtoull(argv[2], NULL, 16);
    hi = strtoull(argv[3], NULL, 16);
    seen = calloc(hi - lo, 1);
    if (!seen) { perror("calloc"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        execvp(argv[4], argv + 4);
        _exit(127);
    }
    int st;
    waitpid(child, &st, 0);
    ptrace(PTRACE_SETOPTIONS, child, NULL,
           (void *)(PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEVFORK |
                    PTRACE_O_TRACEEXEC));
    track(child);
    /* The first exec is the command itself: trace it; later ones leave carrack's code. */
    int execs_allowed = 1;
    ptrace(PTRACE_CONT, child, NULL, NULL);
    for (;;) {
        pid_t p = waitpid(-1, &st, __WALL);
        if (p < 0) { if (errno == EINTR) continue; perror("waitpid"); return 1; }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            /* Once the command is done, so is the trace: processes it left behind (a created
             * container's init, waiting for start) are detached as the tracer exits. */
            untrack(p);
            if (p == child) {
                release_all();
                fclose(out);
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st), event = st >> 16, deliver = 0;
        track(p);
        if (event == PTRACE_EVENT_EXEC) {
            if (execs_allowed-- > 0 && p == child) { ptrace(PTRACE_SINGLESTEP, p, NULL, NULL); continue; }
            ptrace(PTRACE_DETACH, p, NULL, NULL);
            untrack(p);
            continue;
        }
        if (event == 0 && sig == SIGTRAP) {
            struct user_regs_struct r;
            if (ptrace(PTRACE_GETREGS, p, NULL, &r) == 0 && r.rip >= lo && r.rip < hi && !seen[r.rip - lo]) {
                seen[r.rip - lo] = 1;
                fprintf(out, "%llx\n", (unsigned long long)r.rip);
            }
        } else if (event == 0 && sig != SIGSTOP) {
            deliver = sig;
        }
        ptrace(PTRACE_SINGLESTEP, p, NULL, (void *)(intptr_t)deliver);
    }
}
