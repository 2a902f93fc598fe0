package dev.compresso.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The loss formula on plain arrays. */
class DistillationMathTest {

    @Test
    void logSoftmaxAtTemperature() {
        float[] z = {2, 0, 0, 4};
        float[] l = TeacherLogits.logSoftmax(z, 2, 2);
        // row 1: z/T = (1, 0): log(e/(e+1)), log(1/(e+1))
        assertEquals(1 - Math.log(Math.E + 1), l[0], 1e-6);
        assertEquals(-Math.log(Math.E + 1), l[1], 1e-6);
        assertEquals(-Math.log(1 + Math.exp(2)), l[2], 1e-6);
    }

    @Test
    void identicalLogitsLeaveOnlyTheHardTerm() {
        float[] s = {1, 2, 3, 0, 0, 0};
        int[] y = {2, 0};
        double ce = (-(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))) + Math.log(3)) / 2;
        assertEquals(0.3 * ce, DistillationLoss.reference(s, s, y, 3, 4, 0.7), 1e-6);
        assertEquals(0, DistillationLoss.reference(s, s, y, 3, 4, 1), 1e-7);
    }

    @Test
    void softTermIsScaledByTSquared() {
        float[] t = {3, 0};
        float[] s = {0, 0};
        int[] y = {0};
        // at T = 3: p = softmax(1, 0), q = (½, ½); KL = Σ p log(2p)
        double p0 = Math.exp(1) / (Math.exp(1) + 1);
        double kl = p0 * Math.log(2 * p0) + (1 - p0) * Math.log(2 * (1 - p0));
        assertEquals(9 * kl, DistillationLoss.reference(t, s, y, 2, 3, 1), 1e-6);
    }

    @Test
    void transferRowsCarryOnlyTheSoftTerm() {
        float[] t = {3, 0, 0, 3};
        float[] s = {0, 0, 1, 0};
        int[] y = {1, 0};
        double both = DistillationLoss.reference(t, s, y, 2, 3, 0.4);
        double rowOneLabelled = DistillationLoss.reference(new float[] {3, 0}, new float[] {0, 0}, new int[] {1}, 2, 3, 0.4);
        double rowTwoSoft = DistillationLoss.reference(new float[] {0, 3}, new float[] {1, 0}, new int[] {0}, 2, 3, 1);
        assertEquals((rowOneLabelled + rowTwoSoft) / 2,
                DistillationLoss.reference(t, s, y, new boolean[] {true, false}, 2, 3, 0.4), 1e-9);
        // the second row's label (0, which the student favours) no longer lowers the loss
        assertTrue(DistillationLoss.reference(t, s, y, new boolean[] {true, false}, 2, 3, 0.4) != both);
    }
}
