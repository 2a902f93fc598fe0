package dev.compresso.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    @Test
    void polynomialFollowsZhuAndGupta() {
        Schedule s = Schedule.polynomial(0.1, 0.9, 100, 1100, 100);
        assertEquals(0, s.sparsity(99));
        assertEquals(0.1, s.sparsity(100), 1e-12);
        // s_t = s_f + (s_i - s_f)(1 - (t - t0)/(nΔt))^3 at t = 600: progress 0.5
        assertEquals(0.9 + (0.1 - 0.9) * Math.pow(0.5, 3), s.sparsity(600), 1e-12);
        assertEquals(0.9, s.sparsity(1100), 1e-12);
        assertEquals(0.9, s.sparsity(50_000), 1e-12);
        assertTrue(s.prunesAt(100) && s.prunesAt(200) && s.prunesAt(1100));
        assertFalse(s.prunesAt(150) || s.prunesAt(1200) || s.prunesAt(0));
        double previous = 0;
        for (long t = 100; t <= 1100; t += 10) {
            assertTrue(s.sparsity(t) >= previous, "monotone at " + t);
            previous = s.sparsity(t);
        }
    }

    @Test
    void oneShotAndConstant() {
        Schedule one = Schedule.oneShot(0.5);
        assertTrue(one.prunesAt(0));
        assertFalse(one.prunesAt(1));
        assertEquals(0.5, one.sparsity(1000));
        Schedule c = Schedule.constant(0.7, 10, 50, 20);
        assertEquals(0, c.sparsity(5));
        assertEquals(0.7, c.sparsity(10));
        assertTrue(c.prunesAt(10) && c.prunesAt(30) && c.prunesAt(50));
        assertFalse(c.prunesAt(70));
    }

    @Test
    void badSchedulesAreRejectedWithTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedule.polynomial(0, 0.9, 1000, 500, 100));
        assertTrue(e.getMessage().contains("end=500 comes before or at begin=1000"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedule.oneShot(1.2));
        assertTrue(e.getMessage().contains("sparsity=1.2 must be in [0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedule.constant(0.5, 0, 10, 0));
        assertTrue(e.getMessage().contains("frequency=0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schedule.polynomial(-0.1, 0.5, 0, 10, 1));
    }
}
