// Scalar build entry (compiled without SIMD).
import { step } from './radam';
export { step as radam_f32_scalar };
export { heapBase } from './memory';
