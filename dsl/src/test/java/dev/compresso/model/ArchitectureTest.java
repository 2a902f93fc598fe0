package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

    @Test
    void sequentialArchitecturesRoundTripThroughText() {
        for (Architecture a : List.of(Zoo.lenet300100(), Zoo.lenet5(), Zoo.mlp(20, 7, 3))) {
            Architecture back = Architecture.decode(a.encode());
            assertEquals(a.name(), back.name());
            assertEquals(a.layers(), back.layers());
            assertArrayEquals(a.inputShape(), back.inputShape());
            assertEquals(a.outputs(), back.outputs());
            assertEquals(a, back);
        }
        assertTrue(Zoo.lenet5().encode().contains("conv 20 5 1 0\nmaxpool 2 2\n"), Zoo.lenet5().encode());
        assertTrue(Zoo.resnet(8).encode().contains("stem.conv <- input : conv out=16 in=1 kernel=3,3 stride=1,1 pads=1,1,1,1"),
                Zoo.resnet(8).encode());
    }

    @Test
    void versionOneTextOfOlderPackedFilesStillReads() {
        String v1 = "compresso-architecture 1\nname lenet-5\ndescription old\ninput 1 28 28\noutputs 10\n"
                + "conv 20 5 1 0\nmaxpool 2 2\nconv 50 5 1 0\nmaxpool 2 2\nflatten\ndense 500\nrelu\ndense 10\n";
        Architecture a = Architecture.decode(v1);
        assertEquals(Zoo.lenet5().layers(), a.layers());
        assertEquals(Zoo.lenet5().graph(), a.graph());
    }

    @Test
    void malformedTextNamesTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Architecture.decode(Zoo.resnet(8).encode().replace("units=10", "units=two")));
        assertTrue(e.getMessage().contains("units=two") && e.getMessage().contains("the ops are"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Architecture.decode(
                "compresso-architecture 1\nname x\ndescription\ninput 4\noutputs 2\nflatten\ndense two\n"));
        assertTrue(e.getMessage().contains("'dense two'") && e.getMessage().contains("dense UNITS"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Architecture.decode("hello"));
        assertTrue(e.getMessage().contains("not a Compresso architecture"), e.getMessage());
    }

    @Test
    void wrappedBlocksAreNotSequential() {
        Architecture wrapped = new Architecture("custom", "", () -> new ai.djl.nn.SequentialBlock(), new long[] {3}, 2);
        assertFalse(wrapped.isSequential());
        IllegalStateException e = assertThrows(IllegalStateException.class, wrapped::encode);
        assertTrue(e.getMessage().contains("only graph architectures"), e.getMessage());
    }

    @Test
    void layerSpecsCheckTheirSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LayerSpec.Dense(0));
        assertTrue(e.getMessage().contains("dense units=0 must be ≥ 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LayerSpec.Conv(4, 3, 1, -1));
    }
}
