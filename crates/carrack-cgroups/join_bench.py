# Join cost, each trial after an idle moment. On a cgroup v1 hierarchy: moving another process
# through cgroup.procs vs a process moving itself through tasks. On a cgroup2 one: moving
# another process through cgroup.procs vs starting it there with clone3's CLONE_INTO_CGROUP.
#   python3 join_bench.py HIERARCHY [TRIALS]      (as root)
import ctypes, os, time, statistics, sys
H = sys.argv[1] if len(sys.argv) > 1 else "/sys/fs/cgroup/pids"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
d = os.path.join(H, "carrack-join-bench")
os.makedirs(d, exist_ok=True)
v2 = not os.path.exists(os.path.join(d, "tasks"))
libc = ctypes.CDLL(None, use_errno=True)
class CloneArgs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in
                "flags pidfd child_tid parent_tid exit_signal stack stack_size tls set_tid set_tid_size cgroup".split()]
def move_another():
    pid = os.fork()
    if pid == 0:
        time.sleep(5); os._exit(0)
    time.sleep(0.2)
    t = time.perf_counter()
    with open(os.path.join(d, "cgroup.procs"), "w") as f: f.write(str(pid))
    dt = (time.perf_counter() - t) * 1e3
    os.kill(pid, 9); os.waitpid(pid, 0)
    return dt
def move_self():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        t = time.perf_counter()
        with open(os.path.join(d, "tasks"), "w") as f: f.write("0")
        os.write(w, str((time.perf_counter() - t) * 1e3).encode()); os._exit(0)
    os.close(w)
    dt = float(os.read(r, 64)); os.close(r); os.waitpid(pid, 0)
    return dt
def clone_into():
    # The fork is timed whole: what a runtime pays to have its child in the cgroup.
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    args = CloneArgs(flags=0x200000000, exit_signal=17, cgroup=fd)
    t = time.perf_counter()
    pid = libc.syscall(435, ctypes.byref(args), ctypes.sizeof(args))
    if pid == 0:
        os._exit(0)
    dt = (time.perf_counter() - t) * 1e3
    os.close(fd)
    if pid < 0:
        sys.exit(f"clone3: errno {ctypes.get_errno()}")
    os.waitpid(pid, 0)
    return dt
second = ("clone3 CLONE_INTO_CGROUP", clone_into) if v2 else ("tasks (move self)", move_self)
a, b = [], []
for i in range(N):
    time.sleep(0.3)
    a.append(move_another())
    time.sleep(0.3)
    b.append(second[1]())
os.rmdir(d)
for name, xs in (("cgroup.procs (move another)", a), (second[0], b)):
    xs.sort()
    print(f"{name:28} n={len(xs)} median {statistics.median(xs):.3f} ms  min {xs[0]:.3f}  max {xs[-1]:.3f}")
