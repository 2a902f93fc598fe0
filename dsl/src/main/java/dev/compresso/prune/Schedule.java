package dev.compresso.prune;

/**
 * A pruning schedule: the target sparsity as a pure function of the training step, and the steps
 * at which masks are recomputed. Validated when built.
 */
public abstract class Schedule {

    /**
     * The target sparsity at {@code step}.
     *
     * @param step the optimizer step, from 0
     * @return the sparsity in [0, 1)
     */
    public abstract double sparsity(long step);

    /**
     * Whether masks are recomputed at {@code step}.
     *
     * @param step the optimizer step, from 0
     * @return true at the schedule's pruning steps
     */
    public abstract boolean prunesAt(long step);

    /** The schedule as the technique chain shows it. */
    public abstract String describe();

    @Override
    public String toString() {
        return describe();
    }

    static double checkSparsity(String what, double s) {
        if (!(s >= 0 && s < 1)) {
            throw new IllegalArgumentException(what + "=" + s + " must be in [0, 1); for example 0.9 prunes 90 % of the weights");
        }
        return s;
    }

    /**
     * Prunes once, at step 0, to {@code sparsity}.
     *
     * @param sparsity the target, in [0, 1)
     * @return the schedule
     */
    public static Schedule oneShot(double sparsity) {
        double s = checkSparsity("sparsity", sparsity);
        return new Schedule() {
            @Override
            public double sparsity(long step) {
                return s;
            }

            @Override
            public boolean prunesAt(long step) {
                return step == 0;
            }

            @Override
            public String describe() {
                return "oneShot(" + s + ")";
            }
        };
    }

    /**
     * Keeps {@code sparsity} from {@code begin} to {@code end}, recomputing masks every {@code
     * frequency} steps (so weights may come back and others go).
     */
    public static Schedule constant(double sparsity, long begin, long end, long frequency) {
        double s = checkSparsity("sparsity", sparsity);
        checkSteps(begin, end, frequency);
        return new Schedule() {
            @Override
            public double sparsity(long step) {
                return step < begin ? 0 : s;
            }

            @Override
            public boolean prunesAt(long step) {
                return step >= begin && step <= end && (step - begin) % frequency == 0;
            }

            @Override
            public String describe() {
                return "constant(" + s + ", begin=" + begin + ", end=" + end + ", every " + frequency + ")";
            }
        };
    }

    /**
     * Zhu and Gupta's polynomial ramp (2017): {@code s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))^p}
     * with {@code p = 3}, from {@code initial} at {@code begin} to {@code target} at {@code end},
     * masks recomputed every {@code frequency} steps. Before {@code begin} sparsity is 0; after
     * {@code end} it stays at {@code target}.
     */
    public static Schedule polynomial(double initial, double target, long begin, long end, long frequency) {
        return polynomial(initial, target, begin, end, frequency, 3);
    }

    /** The polynomial ramp with another exponent {@code power} (≥ 1). */
    public static Schedule polynomial(double initial, double target, long begin, long end, long frequency, double power) {
        double si = checkSparsity("initial sparsity", initial);
        double sf = checkSparsity("target sparsity", target);
        checkSteps(begin, end, frequency);
        if (!(power >= 1)) {
            throw new IllegalArgumentException("power=" + power + " must be ≥ 1; Zhu and Gupta use 3");
        }
        return new Schedule() {
            @Override
            public double sparsity(long step) {
                if (step < begin) {
                    return 0;
                }
                if (step >= end) {
                    return sf;
                }
                double progress = (double) (step - begin) / (end - begin);
                return sf + (si - sf) * Math.pow(1 - progress, power);
            }

            @Override
            public boolean prunesAt(long step) {
                return step >= begin && step <= end && ((step - begin) % frequency == 0 || step == end);
            }

            @Override
            public String describe() {
                return "polynomial(" + si + "→" + sf + ", begin=" + begin + ", end=" + end + ", every " + frequency
                        + (power == 3 ? "" : ", power=" + power) + ")";
            }
        };
    }

    private static void checkSteps(long begin, long end, long frequency) {
        if (begin < 0) {
            throw new IllegalArgumentException("begin=" + begin + " must be ≥ 0");
        }
        if (end <= begin) {
            throw new IllegalArgumentException(
                    "end=" + end + " comes before or at begin=" + begin + "; a schedule must end after it begins");
        }
        if (frequency < 1) {
            throw new IllegalArgumentException("frequency=" + frequency + " must be ≥ 1 step");
        }
    }
}
