"""`make bench`: every service's benchmark, one after another (BENCH=dak,files to choose)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["dak", "files", "signing", "notify", "metrics", "metrics_state", "desk", "search", "letters"]


def main():
    chosen = [b for b in os.environ.get("BENCH", ",".join(ORDER)).split(",") if b]
    failed = []
    for name in chosen:
        script = os.path.join(HERE, f"bench_{name}.py")
        if not os.path.exists(script):
            continue
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, script], cwd=HERE).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
