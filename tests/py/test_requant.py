"""The integer contract's requantization against an arbitrary-precision oracle.

At least 10^5 random cases per scheme plus the edge cases (INT32_MIN, shifts of
0 and 31, negative values, exact ties in every rounding step) are evaluated by
build/rq_eval (src/ir/quant.c) and by refquant.py; every answer must agree.
"""
import random
import subprocess

import refquant as rq

N = 100_000
I32 = (rq.INT32_MIN, rq.INT32_MAX)


def evaluate(rq_eval, lines):
    p = subprocess.run([str(rq_eval)], input="\n".join(lines) + "\n", capture_output=True,
                       text=True, check=True, timeout=300)
    return [int(v) for v in p.stdout.split()]


def compare(rq_eval, cases, oracle):
    lines = [c for c in cases]
    got = evaluate(rq_eval, lines)
    assert len(got) == len(lines)
    bad = [(line, g, oracle(line)) for line, g in zip(lines, got) if g != oracle(line)]
    print(f"{len(lines)} cases, {len(bad)} differ")
    assert not bad, f"first mismatches (case, C, Python): {bad[:5]}"


def oracle(line):
    f = line.split()
    v = [int(x, 16) if f[0] in ("float", "f32int") and i == 1 else int(x)
         for i, x in enumerate(f[1:], 1)]
    if f[0] == "shift":
        return rq.shift_rq(*v)
    if f[0] == "fixed":
        return rq.fixed_rq(*v)
    if f[0] == "fixed_sr":
        return rq.fixed_sr_rq(*v)
    if f[0] in ("float", "f32int"):
        return rq.float_rq(*v)
    if f[0] == "srdhm":
        return rq.srdhm(*v)
    return rq.rdiv(*v)


def rand_acc(r):
    kind = r.random()
    if kind < 0.05:
        return r.choice([rq.INT32_MIN, rq.INT32_MAX, 0, -1, 1, rq.INT32_MIN + 1])
    if kind < 0.5:
        return r.randint(-(1 << 16), 1 << 16)
    return r.randint(*I32)


def test_shift(rq_eval):
    r = random.Random(1)
    cases = []
    for _ in range(N):
        acc = rand_acc(r)
        if r.random() < 0.5:  # 32-bit constants
            k, l = r.randint(*I32), r.randint(*I32)
        else:  # 64-bit constants, product still within 64 bits
            k = r.randint(-(1 << 31), 1 << 31) * r.choice([1, 3, 1 << 20])
            k = max(min(k, (1 << 62) // max(1, abs(acc))), -((1 << 62) // max(1, abs(acc))))
            l = r.randint(-(1 << 60), 1 << 60)
        d = r.choice([0, 1, 31, 32, 63]) if r.random() < 0.2 else r.randint(0, 63)
        cases.append(f"shift {k} {l} {d} {acc}")
    # edge cases: INT32_MIN, shifts 0 / 31 / 63, negative values, exact halves
    for acc in (rq.INT32_MIN, rq.INT32_MAX, -1, 0, 1, -3, 3):
        for d in (0, 1, 31, 63):
            for k, l in ((1, 0), (-1, 0), (3, 1 << max(d - 1, 0)), (rq.INT32_MAX, rq.INT32_MIN)):
                cases.append(f"shift {k} {l} {d} {acc}")
    compare(rq_eval, cases, oracle)


def rand_fixed(r):
    mult = r.randint(1 << 30, (1 << 31) - 1) if r.random() < 0.9 else r.choice([0, 1 << 30, (1 << 31) - 1])
    shift = r.randint(-31, 0) if r.random() < 0.8 else r.randint(1, 10)
    pre = 0 if r.random() < 0.7 else r.choice([0, 1, 20])
    left = pre + max(shift, 0)
    bound = rq.INT32_MAX >> left
    acc = r.randint(-bound - (1 if left == 0 else 0), bound) if r.random() < 0.6 else r.randint(-(1 << 12), 1 << 12) >> left
    return mult, shift, pre, acc


def test_fixed(rq_eval):
    r = random.Random(2)
    cases = [f"fixed {m} {s} {p} {a}" for m, s, p, a in (rand_fixed(r) for _ in range(N))]
    # ties: mult = 2^30 (one half) makes srdhm halve exactly; odd acc gives .5
    for acc in (rq.INT32_MIN, rq.INT32_MAX, -1, 1, -3, 3, -5, 5, 0):
        for shift in (0, -1, -2, -31):
            cases.append(f"fixed {1 << 30} {shift} 0 {acc}")
            cases.append(f"fixed {(1 << 31) - 1} {shift} 0 {acc}")
    cases += [f"srdhm {a} {b}" for a in (rq.INT32_MIN, rq.INT32_MAX, -1, 1, 1 << 15, -(1 << 15))
              for b in (rq.INT32_MIN, rq.INT32_MAX, -1, 1, 1 << 30, -(1 << 30))]
    cases += [f"rdiv {x} {e}" for x in (rq.INT32_MIN, rq.INT32_MAX, -1, 1, -2, 2, -3, 3, 6, -6)
              for e in (0, 1, 2, 30, 31)]
    cases += [f"rdiv {r.randint(*I32)} {r.randint(0, 31)}" for _ in range(N // 10)]
    cases += [f"srdhm {r.randint(*I32)} {r.randint(*I32)}" for _ in range(N // 10)]
    compare(rq_eval, cases, oracle)


def test_fixed_sr(rq_eval):
    r = random.Random(4)
    cases = []
    for _ in range(N):
        m, s, _, _ = rand_fixed(r)
        s = min(s, 30)
        cases.append(f"fixed_sr {m} {s} {r.randint(*I32) if r.random() < 0.5 else r.randint(-4096, 4096)}")
    # exact ties: mult = 2^30 puts acc * mult / 2^(31 - s) on .5 for odd acc
    # (s = 0) or acc = 2 mod 4 (s = -1): away from zero, unlike `fixed` at -x.5
    for acc in (rq.INT32_MIN, rq.INT32_MAX, -1, 1, -3, 3, -2, 2, -6, 6, -314, 0):
        for shift in (0, -1, -2, -31, 30):
            cases.append(f"fixed_sr {1 << 30} {shift} {acc}")
            cases.append(f"fixed_sr {(1 << 31) - 1} {shift} {acc}")
    compare(rq_eval, cases, oracle)
    assert evaluate(rq_eval, ["fixed_sr 1073741824 0 -3", "fixed 1073741824 0 0 -3"]) == [-2, -1]


def test_float(rq_eval):
    r = random.Random(3)
    cases = []
    for _ in range(N):
        acc = rand_acc(r)
        scale = r.uniform(1e-6, 1.0) if r.random() < 0.8 else r.uniform(-4.0, 4.0)
        bits = int.from_bytes(rq.struct.pack("<f", scale), "little")
        cases.append(f"float {bits:x} {acc}")
    # ties: scale 0.5 and 0.25 with odd accumulators land exactly on .5
    for acc in (rq.INT32_MIN, rq.INT32_MAX, -1, 1, -3, 3, 5, -5, 2, -2, 0, (1 << 24) + 1):
        for scale in (0.5, 0.25, 1.0, -0.5, 1.5):
            bits = int.from_bytes(rq.struct.pack("<f", scale), "little")
            cases.append(f"float {bits:x} {acc}")
    compare(rq_eval, cases, oracle)


def near_ties(r, n):
    """Accumulators whose exact product acc * s lies within a few fp32 ulps
    of a half-integer (where one rounding of it and fp32's two differ), for
    random scales over the fast path's range and beyond it."""
    cases = []
    for _ in range(n):
        e = r.uniform(-34, 0) if r.random() < 0.9 else r.uniform(-40, 3)
        s = rq.f32(2.0 ** e * r.uniform(1, 2)) * r.choice([1, 1, 1, -1])
        bits = int.from_bytes(rq.struct.pack("<f", s), "little")
        t = r.randint(-(1 << 22), 1 << 22) if r.random() < 0.3 else r.randint(-300, 300)
        acc = int(round((t + 0.5) / s)) + r.randint(-2, 2)
        if rq.INT32_MIN <= acc <= rq.INT32_MAX:
            cases.append(f"f32int {bits:x} {acc}")
    return cases


def test_f32int_kernel(rq_eval):
    """The kernels' F32INT (inline fast path, else the emulation) against the
    Python oracle of FLOAT: random cases, near-ties, and the limits of the
    fast path (|acc| around 2^24, scales near 2^-32 and 2^-1)."""
    r = random.Random(5)
    cases = []
    for _ in range(N):
        bits = int.from_bytes(rq.struct.pack("<f", r.uniform(1e-6, 1.0)), "little")
        cases.append(f"f32int {bits:x} {rand_acc(r)}")
    cases += near_ties(r, N)
    for s in (0.5, 0.25, 0.4999999, 2.0 ** -32, 2.0 ** -33, 2.0 ** -9, -2.0 ** -9, 1.0, 3.0):
        bits = int.from_bytes(rq.struct.pack("<f", s), "little")
        for acc in (0, 1, -1, 3, -3, (1 << 24) - 1, 1 << 24, -(1 << 24) + 1, -(1 << 24),
                    rq.INT32_MAX, rq.INT32_MIN):
            cases.append(f"f32int {bits:x} {acc}")
    compare(rq_eval, cases, oracle)


def test_oracle_can_fail(rq_eval):
    """The comparison is live: a wrong oracle answer is caught."""
    got = evaluate(rq_eval, ["shift 1 0 1 -3"])
    assert got == [-2] and rq.shift_rq(1, 0, 1, -3) == -2
    assert rq.rdiv(-3, 1) == -2 and rq.srdhm(1 << 30, 1) == 1
