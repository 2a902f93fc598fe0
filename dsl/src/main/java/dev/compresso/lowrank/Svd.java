package dev.compresso.lowrank;

/**
 * The singular value decomposition {@code W = U · diag(σ) · Vᵀ} of a small dense matrix, on plain
 * arrays in double precision, singular values in descending order.
 *
 * <p>Method: the eigen-decomposition of the smaller Gram matrix ({@code W·Wᵀ} if W has fewer rows
 * than columns, else {@code Wᵀ·W}) by cyclic Jacobi rotations, then the other side's vectors from
 * {@code W}. Squaring W squares its condition number, so singular values below about 1e-7 of the
 * largest lose their relative accuracy; truncation keeps the large ones, which are accurate. A
 * 300×784 layer takes well under a second.
 */
public final class Svd {

    private final int rows;
    private final int cols;
    private final int k; // min(rows, cols)
    private final double[] sigma; // k
    private final double[] u; // rows × k, column j is the j-th left vector
    private final double[] v; // cols × k, column j is the j-th right vector

    private Svd(int rows, int cols, double[] sigma, double[] u, double[] v) {
        this.rows = rows;
        this.cols = cols;
        this.k = sigma.length;
        this.sigma = sigma;
        this.u = u;
        this.v = v;
    }

    /**
     * Decomposes a {@code rows × cols} matrix.
     *
     * @param w the values, row-major
     * @param rows rows, ≥ 1
     * @param cols columns, ≥ 1
     * @return the decomposition
     */
    public static Svd of(float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1 || (long) rows * cols != w.length) {
            throw new IllegalArgumentException(
                    "matrix of " + w.length + " values is not " + rows + "×" + cols + "; pass rows × cols values, row-major");
        }
        boolean wide = rows <= cols; // Gram on the row side
        int k = Math.min(rows, cols);
        // gram = W·Wᵀ (k = rows) or Wᵀ·W (k = cols)
        double[] gram = new double[k * k];
        if (wide) {
            for (int i = 0; i < rows; i++) {
                for (int j = i; j < rows; j++) {
                    double s = 0;
                    int a = i * cols;
                    int b = j * cols;
                    for (int c = 0; c < cols; c++) {
                        s += (double) w[a + c] * w[b + c];
                    }
                    gram[i * k + j] = s;
                    gram[j * k + i] = s;
                }
            }
        } else {
            double[] col = new double[rows];
            double[] wt = new double[cols * rows]; // Wᵀ row-major, so columns are contiguous
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    wt[c * rows + r] = w[r * cols + c];
                }
            }
            for (int i = 0; i < cols; i++) {
                System.arraycopy(wt, i * rows, col, 0, rows);
                for (int j = i; j < cols; j++) {
                    double s = 0;
                    int b = j * rows;
                    for (int r = 0; r < rows; r++) {
                        s += col[r] * wt[b + r];
                    }
                    gram[i * k + j] = s;
                    gram[j * k + i] = s;
                }
            }
        }
        double[] vectors = new double[k * k]; // column j: eigenvector j
        double[] values = jacobiEigen(gram, k, vectors);
        // sort descending
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(values[y], values[x]));
        double[] sigma = new double[k];
        double[] near = new double[k * k]; // the Gram side's vectors, sorted
        for (int j = 0; j < k; j++) {
            sigma[j] = Math.sqrt(Math.max(0, values[order[j]]));
            for (int i = 0; i < k; i++) {
                near[i * k + j] = vectors[i * k + order[j]];
            }
        }
        // the other side: W·v / σ (wide: Wᵀ·u / σ)
        int otherDim = wide ? cols : rows;
        double[] far = new double[otherDim * k];
        for (int i = 0; i < k; i++) {
            int ni = i * k;
            for (int o = 0; o < otherDim; o++) {
                double wv = wide ? w[i * cols + o] : w[o * cols + i];
                int fo = o * k;
                for (int j = 0; j < k; j++) {
                    far[fo + j] += wv * near[ni + j];
                }
            }
        }
        double tiny = sigma[0] * 1e-12;
        for (int j = 0; j < k; j++) {
            // null space: zeros instead of an orthonormal completion; harmless for truncation
            double scale = sigma[j] > tiny ? 1 / sigma[j] : 0;
            for (int o = 0; o < otherDim; o++) {
                far[o * k + j] *= scale;
            }
        }
        return wide ? new Svd(rows, cols, sigma, near, far) : new Svd(rows, cols, sigma, far, near);
    }

    /**
     * Eigenvalues of a symmetric matrix by cyclic Jacobi rotations; {@code a} is destroyed. Each
     * rotation updates rows p and q (contiguous) and mirrors them into the columns, and keeps the
     * eigenvectors as rows, so the inner loops stream through memory.
     *
     * @param a {@code n × n} symmetric, row-major
     * @param n size
     * @param vectors receives the eigenvectors as columns, {@code n × n}
     * @return the eigenvalues, unsorted, matching the columns
     */
    static double[] jacobiEigen(double[] a, int n, double[] vectors) {
        double[] vt = new double[n * n]; // row j: eigenvector j
        for (int i = 0; i < n; i++) {
            vt[i * n + i] = 1;
        }
        double norm = 0;
        for (double x : a) {
            norm += x * x;
        }
        double eps = 1e-26 * norm + Double.MIN_NORMAL;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p * n + q] * a[p * n + q];
                }
            }
            if (off <= eps) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                int pr = p * n;
                for (int q = p + 1; q < n; q++) {
                    int qr = q * n;
                    double apq = a[pr + q];
                    if (apq == 0) {
                        continue;
                    }
                    double app = a[pr + p];
                    double aqq = a[qr + q];
                    double theta = (aqq - app) / (2 * apq);
                    double t = theta == 0 ? 1 : Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int r = 0; r < n; r++) {
                        double arp = a[pr + r];
                        double arq = a[qr + r];
                        a[pr + r] = c * arp - s * arq;
                        a[qr + r] = s * arp + c * arq;
                    }
                    for (int r = 0; r < n; r++) {
                        a[r * n + p] = a[pr + r];
                        a[r * n + q] = a[qr + r];
                    }
                    a[pr + p] = app - t * apq;
                    a[qr + q] = aqq + t * apq;
                    a[pr + q] = 0;
                    a[qr + p] = 0;
                    for (int r = 0; r < n; r++) {
                        double vrp = vt[pr + r];
                        double vrq = vt[qr + r];
                        vt[pr + r] = c * vrp - s * vrq;
                        vt[qr + r] = s * vrp + c * vrq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i * n + i];
            for (int r = 0; r < n; r++) {
                vectors[r * n + i] = vt[i * n + r];
            }
        }
        return values;
    }

    /** The singular values, largest first (a copy). */
    public double[] values() {
        return sigma.clone();
    }

    /** Left singular vector {@code j} (length rows). */
    public double[] left(int j) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = u[i * k + j];
        }
        return out;
    }

    /** Right singular vector {@code j} (length cols). */
    public double[] right(int j) {
        double[] out = new double[cols];
        for (int i = 0; i < cols; i++) {
            out[i] = v[i * k + j];
        }
        return out;
    }

    /** min(rows, cols): the largest rank. */
    public int maxRank() {
        return k;
    }

    /**
     * The smallest rank whose singular values keep at least {@code share} of the energy Σσ².
     *
     * @param share in (0, 1]
     * @return a rank in [1, min(rows, cols)]
     */
    public int rankForEnergy(double share) {
        return rankForEnergy(sigma, share);
    }

    static int rankForEnergy(double[] sigma, double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("energy=" + share + " must be in (0, 1]: the share of Σσ² to keep,"
                    + " for example energy(0.9)");
        }
        double total = 0;
        for (double s : sigma) {
            total += s * s;
        }
        if (total == 0) {
            return 1;
        }
        double kept = 0;
        for (int r = 0; r < sigma.length; r++) {
            kept += sigma[r] * sigma[r];
            // a relative slack so share = 1 is reached despite rounding
            if (kept >= share * total * (1 - 1e-12)) {
                return r + 1;
            }
        }
        return sigma.length;
    }

    /**
     * The two factors of the rank-{@code r} truncation, with the singular values split evenly:
     * {@code first = diag(√σ)·Vᵀ} ({@code r × cols}, applied first) and {@code second = U·diag(√σ)}
     * ({@code rows × r}), so that {@code second · first} is the best rank-r approximation of W.
     *
     * @param r the rank, in [1, min(rows, cols)]
     * @return {@code [first, second]}, row-major
     */
    public float[][] factors(int r) {
        if (r < 1 || r > k) {
            throw new IllegalArgumentException("rank=" + r + " must be in [1, " + k + "] for a " + rows + "×" + cols + " matrix");
        }
        float[] first = new float[r * cols];
        float[] second = new float[rows * r];
        for (int j = 0; j < r; j++) {
            double root = Math.sqrt(sigma[j]);
            for (int c = 0; c < cols; c++) {
                first[j * cols + c] = (float) (root * v[c * k + j]);
            }
            for (int i = 0; i < rows; i++) {
                second[i * r + j] = (float) (u[i * k + j] * root);
            }
        }
        return new float[][] {first, second};
    }
}
