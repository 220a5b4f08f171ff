/** The system matrix is not positive definite: row `index` depends linearly on the rows before it. */
export class SingularSystemError extends Error {
  readonly index: number;

  constructor(index: number) {
    super(`matrix is singular at row ${index}`);
    this.name = 'SingularSystemError';
    this.index = index;
  }
}

/**
 * A pivot below this fraction of its original diagonal entry means the row is (numerically) a linear combination of
 * the previous ones. Relative, because the diagonal of a standardized normal matrix scales with the row count.
 */
const RELATIVE_PIVOT_TOLERANCE = 1e-10;

/**
 * Solves `A x = b` for a symmetric positive definite `A` (row-major, `n × n`) by Cholesky decomposition.
 *
 * @remarks Chosen over general elimination because normal-equation matrices are symmetric positive (semi)definite:
 * Cholesky needs no pivoting, so the operation order — and therefore every bit of the result — depends only on the
 * input. Only the lower triangle of `a` is read.
 * @throws SingularSystemError when `A` is not positive definite (a collinear feature with no ridge penalty).
 */
export function solveSymmetricPositiveDefinite(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        const diagonal = a[i * n + i]!;
        if (!(sum > RELATIVE_PIVOT_TOLERANCE * Math.abs(diagonal))) throw new SingularSystemError(i);
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j]!;
      }
    }
  }
  // Forward substitution L y = b, then back substitution Lᵀ x = y.
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}
