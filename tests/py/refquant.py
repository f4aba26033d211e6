"""Arbitrary-precision Python implementation of dory's requantization schemes.

Written from the mathematical definitions (docs/ARCHITECTURE.md, "The integer
contract"), not from the C code, so that it is an independent oracle:

  SHIFT  floor((k*acc + l) / 2^d)
  FIXED  srdhm(a, b)  = floor((a*b + 2^30) / 2^31), saturating a = b = INT32_MIN
         rdiv(x, e)   = x / 2^e rounded to nearest, ties away from zero
         y = rdiv(srdhm(acc * 2^left, mult), right),
         left = pre + max(shift, 0), right = max(-shift, 0)
  FLOAT  round_half_even(fp32(fp32(acc) * scale))
"""
import struct

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def f32(x: float) -> float:
    """Round a Python float (double) to the nearest IEEE single (ties to even)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def f32_from_bits(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def shift_rq(k: int, l: int, d: int, acc: int) -> int:
    return (k * acc + l) >> d  # Python's >> floors, on unbounded integers


def srdhm(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    return (a * b + (1 << 30)) >> 31


def rdiv(x: int, e: int) -> int:
    if e == 0:
        return x
    q = (abs(x) + (1 << (e - 1))) >> e
    return q if x >= 0 else -q


def fixed_rq(mult: int, shift: int, pre: int, acc: int) -> int:
    left = pre + max(shift, 0)
    right = max(-shift, 0)
    x = acc * (1 << left)
    assert INT32_MIN <= x <= INT32_MAX, "case outside the contract's domain"
    return rdiv(srdhm(x, mult), right)


def fixed_sr_rq(mult: int, shift: int, acc: int) -> int:
    """LiteRT's FULLY_CONNECTED: acc * mult / 2^(31 - shift), rounded once,
    ties away from zero (measured against its interpreter)."""
    assert -31 <= shift <= 30 and INT32_MIN <= acc <= INT32_MAX
    return rdiv(acc * mult, 31 - shift)


def float_rq(scale_bits: int, acc: int) -> int:
    s = f32_from_bits(scale_bits)
    p = f32(f32(float(acc)) * s)  # exact double product of two singles, rounded once
    if p != p:
        return 0
    if abs(p) >= 9.2e18:
        return (2**63 - 1) // 2 if p > 0 else -(2**63) // 2
    return round(p)  # Python rounds half to even
