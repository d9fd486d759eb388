// exp, log, log10 and cos as fdlibm computes them (Sun's 1993 libm, which V8 used for Math.exp,
// Math.log, Math.log10 and Math.cos up to Node 20's V8 11.3), in plain JavaScript: only +, -, *, / and bit moves, which
// every engine rounds the same (IEEE 754, no fused multiply-add in JavaScript). The demo's model
// uses them instead of Math.*, whose last bit differs between engines (Chromium 156 and Node 20
// disagree by one ulp on 3-10% of inputs, which a training run then amplifies): the same job gives
// the same bits in Node and in a browser. On Node 20 they return exactly what Math.* returns
// (test/demo.test.ts compares a million inputs each), so the demo's numbers did not change.

const F = new Float64Array(1);
const W = new Int32Array(F.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little endian: the high word is [1]
const LO = 1 - HI;

/** The double whose bits are hi:lo (fdlibm's constants are given by their words). */
const fromWords = (hi, lo) => {
  W[HI] = hi;
  W[LO] = lo;
  return F[0];
};

// exp
const O_THRESHOLD = fromWords(0x40862e42, 0xfefa39ef);
const U_THRESHOLD = fromWords(0xc0874910, 0xd52d3051);
const LN2_HI = fromWords(0x3fe62e42, 0xfee00000);
const LN2_LO = fromWords(0x3dea39ef, 0x35793c76);
const INV_LN2 = fromWords(0x3ff71547, 0x652b82fe);
const P1 = fromWords(0x3fc55555, 0x5555553e);
const P2 = fromWords(0xbf66c16c, 0x16bebd93);
const P3 = fromWords(0x3f11566a, 0xaf25de2c);
const P4 = fromWords(0xbebbbd41, 0xc5d26bf1);
const P5 = fromWords(0x3e663769, 0x72bea4d0);
const E = fromWords(0x4005bf0a, 0x8b145769);
const TWO_M1000 = fromWords(0x01700000, 0);
const TWO_1023 = fromWords(0x7fe00000, 0);

// fdlibm's tests of x's high word, as comparisons of |x| with the doubles they bound (same result).
const EXP_BIG = fromWords(0x40862e42, 0); // hx >= 0x40862e42
const EXP_HALF_LN2 = fromWords(0x3fd62e43, 0); // hx > 0x3fd62e42
const EXP_3HALF_LN2 = fromWords(0x3ff0a2b2, 0); // hx < 0x3ff0a2b2
const EXP_TINY = fromWords(0x3e300000, 0); // hx < 0x3e300000
// 2^j for j in [-1100, 1023], exact: fdlibm builds 2^k from its bits.
const POW2 = new Float64Array(2124);
POW2[1100] = 1;
for (let j = 1; j <= 1023; j++) POW2[1100 + j] = POW2[1099 + j] * 2;
for (let j = 1; j <= 1100; j++) POW2[1100 - j] = POW2[1101 - j] / 2;

/** e^x, fdlibm's e_exp.c (V8's version: exp(1) is E). */
export function exp(x) {
  const ax = Math.abs(x);
  const neg = x < 0;
  if (!(ax < EXP_BIG)) {
    if (Number.isNaN(x)) return x;
    if (ax === Number.POSITIVE_INFINITY) return neg ? 0 : x;
    if (x > O_THRESHOLD) return Number.POSITIVE_INFINITY;
    if (x < U_THRESHOLD) return 0;
  }
  let hi = 0,
    lo = 0,
    k = 0;
  if (ax >= EXP_HALF_LN2) {
    // x = k ln2 + r, |r| <= ln2 / 2
    if (ax < EXP_3HALF_LN2) {
      if (x === 1) return E;
      hi = neg ? x + LN2_HI : x - LN2_HI;
      lo = neg ? -LN2_LO : LN2_LO;
      k = neg ? -1 : 1;
    } else {
      k = (INV_LN2 * x + (neg ? -0.5 : 0.5)) | 0;
      hi = x - k * LN2_HI; // exact
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (ax < EXP_TINY) {
    return 1 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  if (k >= -1021) return k === 1024 ? y * 2 * TWO_1023 : y * POW2[1100 + k];
  return y * POW2[2100 + k] * TWO_M1000;
}

// log
const TWO54 = fromWords(0x43500000, 0);
const LG1 = fromWords(0x3fe55555, 0x55555593);
const LG2 = fromWords(0x3fd99999, 0x9997fa04);
const LG3 = fromWords(0x3fd24924, 0x94229359);
const LG4 = fromWords(0x3fcc71c5, 0x1d8e78af);
const LG5 = fromWords(0x3fc74664, 0x96cb03de);
const LG6 = fromWords(0x3fc39a09, 0xd078c69f);
const LG7 = fromWords(0x3fc2f112, 0xdf3e5244);

/** The natural logarithm, fdlibm's e_log.c. */
export function log(x) {
  F[0] = x;
  let hx = W[HI];
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022
    if (((hx & 0x7fffffff) | W[LO]) === 0) return Number.NEGATIVE_INFINITY;
    if (hx < 0) return Number.NaN;
    k -= 54;
    x *= TWO54; // subnormal: scale up
    F[0] = x;
    hx = W[HI];
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  F[0] = x;
  W[HI] = hx | (i ^ 0x3ff00000); // x or x/2 in [sqrt(2)/2, sqrt(2))
  x = F[0];
  k += i >> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - k * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + R)) : k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : k * LN2_HI - (s * (f - R) - k * LN2_LO - f);
}

// log10
const IVLN10 = fromWords(0x3fdbcb7b, 0x1526e50e);
const LOG10_2HI = fromWords(0x3fd34413, 0x509f6000);
const LOG10_2LO = fromWords(0x3d59fef3, 0x11f12b36);

/** The decimal logarithm, fdlibm's e_log10.c. */
export function log10(x) {
  F[0] = x;
  let hx = W[HI];
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | W[LO]) === 0) return Number.NEGATIVE_INFINITY;
    if (hx < 0) return Number.NaN;
    k -= 54;
    x *= TWO54;
    F[0] = x;
    hx = W[HI];
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  const i = k >>> 31; // 1 if k < 0
  const y = k + i;
  F[0] = x;
  W[HI] = (hx & 0x000fffff) | ((0x3ff - i) << 20);
  const z = y * LOG10_2LO + IVLN10 * log(F[0]);
  return z + y * LOG10_2HI;
}

// cos
const C1 = fromWords(0x3fa55555, 0x5555554c);
const C2 = fromWords(0xbf56c16c, 0x16c15177);
const C3 = fromWords(0x3efa01a0, 0x19cb1590);
const C4 = fromWords(0xbe927e4f, 0x809c52ad);
const C5 = fromWords(0x3e21ee9e, 0xbdb4b1c4);
const C6 = fromWords(0xbda8fae9, 0xbe8838d4);
const S1 = fromWords(0xbfc55555, 0x55555549);
const S2 = fromWords(0x3f811111, 0x1110f8a6);
const S3 = fromWords(0xbf2a01a0, 0x19c161d5);
const S4 = fromWords(0x3ec71de3, 0x57b1fe7d);
const S5 = fromWords(0xbe5ae5e6, 0x8a2b9ceb);
const S6 = fromWords(0x3de5d93a, 0x5acfd57c);
const INV_PIO2 = fromWords(0x3fe45f30, 0x6dc9c883);
const PIO2_1 = fromWords(0x3ff921fb, 0x54400000);
const PIO2_1T = fromWords(0x3dd0b461, 0x1a626331);
const PIO2_2 = fromWords(0x3dd0b461, 0x1a600000);
const PIO2_2T = fromWords(0x3ba3198a, 0x2e037073);
const PIO2_3 = fromWords(0x3ba3198a, 0x2e000000);
const PIO2_3T = fromWords(0x397b839a, 0x252049c1);
// High words of n pi/2, n = 1..32: where the quick reduction could cancel (fdlibm's npio2_hw).
const NPIO2_HW = [
  0x3ff921fb, 0x400921fb, 0x4012d97c, 0x401921fb, 0x401f6a7a, 0x4022d97c, 0x4025fdbb, 0x402921fb, 0x402c463a,
  0x402f6a7a, 0x4031475c, 0x4032d97c, 0x40346b9c, 0x4035fdbb, 0x40378fdb, 0x403921fb, 0x403ab41b, 0x403c463a,
  0x403dd85a, 0x403f6a7a, 0x40407e4c, 0x4041475c, 0x4042106c, 0x4042d97c, 0x4043a28c, 0x40446b9c, 0x404534ac,
  0x4045fdbb, 0x4046c6cb, 0x40478fdb, 0x404858eb, 0x404921fb,
];

/** fdlibm's __kernel_cos on [-pi/4, pi/4]: x + y is the reduced argument. */
function kernelCos(x, y) {
  F[0] = x;
  const ix = W[HI] & 0x7fffffff;
  if (ix < 0x3e400000 && (x | 0) === 0) return 1;
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y));
  const qx = ix > 0x3fe90000 ? 0.28125 : fromWords(ix - 0x00200000, 0);
  const hz = 0.5 * z - qx;
  const a = 1 - qx;
  return a - (hz - (z * r - x * y));
}

/** fdlibm's __kernel_sin with iy = 1 (a tail y). */
function kernelSin(x, y) {
  F[0] = x;
  const ix = W[HI] & 0x7fffffff;
  if (ix < 0x3e400000 && (x | 0) === 0) return x;
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

/** cos x, fdlibm's s_cos.c, for |x| up to 2^19 pi/2 (fdlibm's medium range; the demo needs [0, 2 pi)). */
export function cos(x) {
  F[0] = x;
  const hx = W[HI];
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0);
  if (ix >= 0x7ff00000) return x - x;
  if (ix > 0x413921fb) throw new RangeError(`fdlibm cos: |x| = ${Math.abs(x)} is beyond 2^19 pi/2`);
  // __ieee754_rem_pio2: x = n pi/2 + (y0 + y1)
  let n, y0, y1;
  if (ix < 0x4002d97c) {
    // |x| < 3 pi/4: n = +-1
    const s = hx > 0 ? 1 : -1;
    let z = x - s * PIO2_1;
    if (ix !== 0x3ff921fb) {
      y0 = z - s * PIO2_1T;
      y1 = z - y0 - s * PIO2_1T;
    } else {
      z -= s * PIO2_2; // near pi/2: 33 + 33 + 53 bits of pi
      y0 = z - s * PIO2_2T;
      y1 = z - y0 - s * PIO2_2T;
    }
    n = s;
  } else {
    const t = Math.abs(x);
    n = (t * INV_PIO2 + 0.5) | 0;
    const fn = n;
    let r = t - fn * PIO2_1;
    let w = fn * PIO2_1T;
    y0 = r - w;
    if (!(n < 32 && ix !== NPIO2_HW[n - 1])) {
      const j = ix >> 20;
      F[0] = y0;
      if (j - ((W[HI] >> 20) & 0x7ff) > 16) {
        // cancellation: a second round, good to 118 bits
        let u = r;
        w = fn * PIO2_2;
        r = u - w;
        w = fn * PIO2_2T - (u - r - w);
        y0 = r - w;
        F[0] = y0;
        if (j - ((W[HI] >> 20) & 0x7ff) > 49) {
          u = r;
          w = fn * PIO2_3;
          r = u - w;
          w = fn * PIO2_3T - (u - r - w);
          y0 = r - w;
        }
      }
    }
    y1 = r - y0 - w;
    if (hx < 0) {
      y0 = -y0;
      y1 = -y1;
      n = -n;
    }
  }
  switch (n & 3) {
    case 0:
      return kernelCos(y0, y1);
    case 1:
      return -kernelSin(y0, y1);
    case 2:
      return -kernelCos(y0, y1);
    default:
      return kernelSin(y0, y1);
  }
}
