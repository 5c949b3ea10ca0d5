# Join cost on a cgroup v1 hierarchy: moving another process through cgroup.procs vs a
# process moving itself through tasks, each after an idle moment.
import os, time, statistics, sys
H = sys.argv[1] if len(sys.argv) > 1 else "/sys/fs/cgroup/pids"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
d = os.path.join(H, "carrack-join-bench")
os.makedirs(d, exist_ok=True)
procs, tasks = [], []
for i in range(N):
    time.sleep(0.3)
    pid = os.fork()
    if pid == 0:
        time.sleep(5); os._exit(0)
    time.sleep(0.2)
    t = time.perf_counter()
    with open(os.path.join(d, "cgroup.procs"), "w") as f: f.write(str(pid))
    procs.append((time.perf_counter() - t) * 1e3)
    os.kill(pid, 9); os.waitpid(pid, 0)
    time.sleep(0.3)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        t = time.perf_counter()
        with open(os.path.join(d, "tasks"), "w") as f: f.write("0")
        os.write(w, str((time.perf_counter() - t) * 1e3).encode()); os._exit(0)
    os.close(w)
    tasks.append(float(os.read(r, 64))); os.close(r); os.waitpid(pid, 0)
os.rmdir(d)
for name, xs in (("cgroup.procs (move another)", procs), ("tasks (move self)", tasks)):
    xs.sort()
    print(f"{name:28} n={len(xs)} median {statistics.median(xs):.3f} ms  min {xs[0]:.3f}  max {xs[-1]:.3f}")
