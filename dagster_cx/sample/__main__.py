"""Command line for the sample generator.

    python -m dagster_cx.sample --size sample --out data/sample [--seed N] [--no-bad-rows]
    python -m dagster_cx.sample --check-r2    # re-simulate the planted R^2 and compare

Prints one progress line per entity (rows, files, seconds) and a summary of the manifest.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dagster_cx.sample.generator import DEFAULT_SEED, PLANTED_R2, SIZES, generate, simulate_r2


def _summary(manifest: dict) -> list[str]:
    """Readable lines: rows, files and planted bad rows per entity, then the planted drivers."""
    lines = [f"size {manifest['size']}, seed {manifest['seed']}, "
             f"{manifest['period']['start']} .. {manifest['period']['end']}"]
    for name, entity in manifest["entities"].items():
        lines.append(f"  {name:<20} {entity['rows']:>12,} rows  {len(entity['files']):>3} file(s)  "
                     f"{len(entity['bad_rows'])} bad row(s) planted")
    drivers = manifest["drivers"]
    for framework, weights in (("pillars", drivers["pillar_weights"]), ("forces", drivers["force_weights"])):
        order = drivers["importance_order"][framework]
        lines.append(f"  {framework}: " + ", ".join(f"{name} {weights[name]:.2f}" for name in order))
    lines.append("  R^2: " + ", ".join(f"{key} {value:.3f}" for key, value in sorted(drivers["r2"].items())))
    return lines


def _check_r2() -> int:
    """Re-run the R^2 simulation; non-zero exit if it no longer matches the recorded constants."""
    simulated = simulate_r2()
    mismatches = 0
    for key, value in simulated.items():
        ok = abs(value - PLANTED_R2[key]) < 0.0015
        mismatches += not ok
        print(f"{key}: simulated {value:.3f}, recorded {PLANTED_R2[key]:.3f}{'' if ok else '  MISMATCH'}")
    return 1 if mismatches else 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate, print the summary."""
    parser = argparse.ArgumentParser(prog="python -m dagster_cx.sample", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="sample")
    parser.add_argument("--out", type=Path, default=Path("data/sample"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-bad-rows", action="store_true", help="write only valid rows")
    parser.add_argument("--check-r2", action="store_true", help="re-simulate the planted R^2 and exit")
    args = parser.parse_args(argv)
    if args.check_r2:
        return _check_r2()
    started = time.perf_counter()
    manifest = generate(args.out, args.size, args.seed, bad_rows=not args.no_bad_rows, progress=print)
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")
    print("\n".join(_summary(manifest)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
