"""Live Ray test: neuron-rt workers as Ray actors on the emulator.

Starts a local Ray head on 127.0.0.1 with a `neuron_cores` resource equal to the
emulated instance's cores, launches one actor per planned worker with the fleet plan's
Ray options (`ray_actor_options.resources.neuron_cores`), and in each actor runs the
`neuron-rt-worker` binary on the emulator with cross-process core locks on (one shared
NEURON_RT_EMULATOR_LOCK_DIR). Checks that every actor got its own cores, loaded and ran
its model, that no core was used twice, and that a non-contiguous core list is refused
with the contiguity error.

Usage: python3 ray_live.py <neuron-rt-worker binary> <ray-options.json> <instance>
Exit 0 on success, 1 on failure; prints "SKIPPED: <reason>" and exits 0 when Ray is
not installed.
"""

import json
import os
import subprocess
import sys
import tempfile

try:
    import ray
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIPPED: ray is not installed ({e}); `pip install ray` to run this test")
    sys.exit(0)

TOTAL_CORES = {"inf2.xlarge": 2, "inf2.24xlarge": 12, "inf2.48xlarge": 24, "trn1.32xlarge": 32}


@ray.remote
class NeuronWorker:
    """One worker process per actor, on the cores Ray assigned to this actor."""

    def run(self, binary, hold_ms, override=None):
        ids = ray.get_runtime_context().get_accelerator_ids().get("neuron_cores", [])
        from_ray = os.environ.get("NEURON_RT_VISIBLE_CORES")
        env = dict(os.environ)
        # Ray writes the assigned ids as a comma list for its Neuron resource; set the
        # same form ourselves if it did not (e.g. the variable was opted out).
        env["NEURON_RT_VISIBLE_CORES"] = override or from_ray or ",".join(ids)
        p = subprocess.run(
            [binary, "--hold-ms", str(hold_ms)], env=env, capture_output=True, text=True
        )
        return {
            "ids": [int(i) for i in ids],
            "from_ray": from_ray,
            "given": env["NEURON_RT_VISIBLE_CORES"],
            "rc": p.returncode,
            "stdout": p.stdout.strip(),
            "stderr": p.stderr.strip(),
        }


def main():
    binary, options_path, instance = sys.argv[1], sys.argv[2], sys.argv[3]
    total = TOTAL_CORES[instance]
    options = json.load(open(options_path))
    lock_dir = tempfile.mkdtemp(prefix="neuron-rt-ray-locks.")
    os.environ["NEURON_RT_EMULATOR_LOCK_DIR"] = lock_dir
    os.environ["NEURON_RT_EMULATOR_INSTANCE"] = instance
    ray.init(
        _node_ip_address="127.0.0.1",
        num_cpus=2,
        resources={"neuron_cores": total},
        include_dashboard=False,
        object_store_memory=80 * 1024 * 1024,
        runtime_env={
            "env_vars": {
                "NEURON_RT_EMULATOR_LOCK_DIR": lock_dir,
                "NEURON_RT_EMULATOR_INSTANCE": instance,
            }
        },
        log_to_driver=False,
    )
    failures = []
    try:
        cluster = ray.cluster_resources().get("neuron_cores")
        if cluster != total:
            failures.append(f"cluster has neuron_cores={cluster}, expected {total}")
        # Largest groups first, as the plan orders them.
        specs = sorted(
            options["models"],
            key=lambda m: -m["ray_actor_options"]["resources"]["neuron_cores"],
        )
        actors, expected = [], []
        for m in specs:
            opts = m["ray_actor_options"]
            n = opts["resources"]["neuron_cores"]
            for r in range(m["num_replicas"]):
                env_vars = dict(opts["runtime_env"]["env_vars"])
                env_vars["NEURON_RT_WORKER_REPLICA"] = str(r)
                env_vars["NEURON_RT_EMULATOR_LOCK_DIR"] = lock_dir
                env_vars["NEURON_RT_EMULATOR_INSTANCE"] = instance
                a = NeuronWorker.options(
                    num_cpus=0,
                    resources={"neuron_cores": n},
                    runtime_env={"env_vars": env_vars},
                ).remote()
                actors.append(a)
                expected.append((m["name"], r, n))
        # All at once, holding their cores, so a core given twice would collide.
        results = ray.get([a.run.remote(binary, 1500) for a in actors], timeout=300)
        used = {}
        for (name, r, n), res in zip(expected, results):
            tag = f"{name}#{r}"
            print(f"{tag}: Ray ids {res['ids']} NEURON_RT_VISIBLE_CORES from Ray: "
                  f"{res['from_ray']!r} -> {res['stdout'] or res['stderr']}")
            if res["rc"] != 0:
                failures.append(f"{tag} failed: {res['stderr']}")
                continue
            out = json.loads(res["stdout"])
            cores = list(range(out["first"], out["first"] + out["count"]))
            if sorted(res["ids"]) != cores:
                failures.append(f"{tag}: ran on {cores} but Ray assigned {res['ids']}")
            if out["count"] != n:
                failures.append(f"{tag}: {out['count']} cores, planned {n}")
            if out["model"] != name or out["replica"] != str(r):
                failures.append(f"{tag}: worker reported {out['model']}#{out['replica']}")
            if abs(out["probs_sum"] - 2.0) > 1e-3:  # 2 samples of softmax probabilities
                failures.append(f"{tag}: output sums to {out['probs_sum']}, expected 2")
            for c in cores:
                if c in used:
                    failures.append(f"core {c} used by {used[c]} and {tag}")
                used[c] = tag
        # What Ray hands over when the set is not contiguous: the worker must refuse it.
        probe = NeuronWorker.options(num_cpus=0).remote()
        res = ray.get(probe.run.remote(binary, 0, override="0,2"), timeout=120)
        if res["rc"] == 0 or "not contiguous" not in res["stderr"] \
                or "needs one contiguous run" not in res["stderr"] or '"0,2"' not in res["stderr"]:
            failures.append(f"non-contiguous 0,2 not refused properly: {res}")
        else:
            print(f"non-contiguous 0,2 refused: {res['stderr']}")
    finally:
        ray.shutdown()
    if failures:
        for f in failures:
            print("FAIL:", f)
        print(f"0 passed, {len(failures)} failed")
        sys.exit(1)
    print(f"ray live test: {len(expected)} actors on {len(used)} distinct cores of {total}")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
