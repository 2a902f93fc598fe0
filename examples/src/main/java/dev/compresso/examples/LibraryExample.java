package dev.compresso.examples;

import static dev.compresso.Compresso.epochs;
import static dev.compresso.Compresso.fashionMnist;
import static dev.compresso.Compresso.kmeans;
import static dev.compresso.Compresso.lenet300100;
import static dev.compresso.Compresso.log;
import static dev.compresso.Compresso.magnitude;

import dev.compresso.data.DataSplit;
import dev.compresso.model.Network;
import dev.compresso.store.PackedModel;
import java.nio.file.Path;

/**
 * The DSL used as a plain Java library, without JShell or Jupyter: train LeNet-300-100 on
 * Fashion-MNIST, prune it, share its weights, pack it into a file and load the file back.
 *
 * <pre>
 * mvn -q -pl examples -am package -Dmaven.test.skip=true
 * java -cp "examples/target/classes:kernel/target/lib/*" dev.compresso.examples.LibraryExample [nTrain] [out.cmpr]
 * </pre>
 */
public final class LibraryExample {

    private LibraryExample() {}

    /**
     * Runs the pipeline.
     *
     * @param args optional: the number of training images (default all 60,000) and the output file
     */
    public static void main(String[] args) {
        int nTrain = args.length > 0 ? Integer.parseInt(args[0]) : 60_000;
        Path file = Path.of(args.length > 1 ? args[1] : "out/library-example/lenet-300-100.cmpr");
        Network packedBack = run(nTrain, file);
        System.out.println(log());
        System.out.println(packedBack);
    }

    /**
     * Trains, prunes, shares and packs; returns the model read back from {@code file}.
     *
     * @param nTrain training images to use
     * @param file where to write the packed model
     * @return the model loaded from the file
     */
    public static Network run(int nTrain, Path file) {
        DataSplit data = fashionMnist();
        if (nTrain < data.train().size()) {
            data = data.subset(nTrain, data.test().size());
        }
        try (Network base = lenet300100().train(data, epochs(3));
                Network pruned = base.prune(magnitude().sparsity(0.9).finetune(1));
                Network shared = pruned.share(kmeans().bits(4))) {
            PackedModel packed = shared.pack(file);
            System.out.printf("%s: %,d bytes, %.1fx smaller than dense; top-1 %.2f %% (dense %.2f %%)%n", packed.file(),
                    packed.bytes(), packed.ratio(), 100 * packed.model().evaluation().top1(), 100 * base.evaluation().top1());
            return PackedModel.load(file);
        }
    }
}
