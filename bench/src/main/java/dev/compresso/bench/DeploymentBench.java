package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.eval.Speed;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxRuntimeSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Deployment numbers of issue 12: int8 QDQ in ONNX Runtime against fp32, and top-1 of int8 models.
 *
 * <p>Usage: {@code DeploymentBench resnet18 [file=/tmp/tv-onnx/resnet18.onnx] [runs=7] [threads=1]}: torchvision
 * resnet18 imported from ONNX, quantized with activations calibrated on 32 synthetic N(0,1) samples
 * of 3×224×224 (a speed and size measurement, not an accuracy one), file sizes and ONNX Runtime
 * throughput at batch 1 and 64. {@code DeploymentBench fashion [model=mobilenetV2|resnet20] [train=6000]
 * [test=2000] [epochs=2]}: a Fashion-MNIST subset, top-1 of fp32, of the int8 model as Compresso
 * evaluates it, and of the int8 file in ONNX Runtime.
 */
public final class DeploymentBench {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("bench.dir", "bench"), "target", "deployment");
        Files.createDirectories(out);
        if (args[0].equals("resnet18")) {
            resnet18(args.length > 1 ? args[1] : "/tmp/tv-onnx/resnet18.onnx", args.length > 2 ? Integer.parseInt(args[2]) : 7,
                    args.length > 3 ? Integer.parseInt(args[3]) : 1, out);
        } else {
            fashion(args.length > 1 ? args[1] : "mobilenetV2", args.length > 2 ? Integer.parseInt(args[2]) : 6000,
                    args.length > 3 ? Integer.parseInt(args[3]) : 2000, args.length > 4 ? Integer.parseInt(args[4]) : 2, out);
        }
    }

    static void resnet18(String file, int runs, int threads, Path out) throws Exception {
        long t0 = System.nanoTime();
        Network fp32 = onnx(file).named("resnet18-fp32");
        System.out.printf(Locale.ROOT, "import %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, fp32.architecture().graph().opCounts());
        Random r = new Random(7);
        int n = 32;
        float[] x = new float[n * 3 * 224 * 224];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        Samples calib = Samples.of(x, new int[n], new long[] {3, 224, 224}, 1000);
        t0 = System.nanoTime();
        Network int8 = fp32.quantize(weightsTo(8).perChannel().activations(8).foldBatchNorm().calibrateOn(calib).named("resnet18-int8"));
        System.out.printf(Locale.ROOT, "quantize (fold, calibrate on %d synthetic samples) %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
        Path f32 = fp32.exportOnnx(out.resolve("resnet18-fp32.onnx").toString());
        Path f8 = int8.exportInt8(out.resolve("resnet18-int8.onnx").toString());
        long s32 = Files.size(f32);
        long s8 = Files.size(f8);
        System.out.printf(Locale.ROOT, "files: torchvision %,d bytes; fp32 export %,d bytes; int8 QDQ %,d bytes; %.2fx smaller%n",
                Files.size(Path.of(file)), s32, s8, (double) s32 / s8);
        // agreement of the int8 file with Compresso's evaluation of the int8 model, on 4 synthetic samples
        float[] y = new float[4 * 3 * 224 * 224];
        System.arraycopy(x, 0, y, 0, y.length);
        float[] ours = int8.outputs(Samples.of(y, new int[4], new long[] {3, 224, 224}, 1000));
        float[] ref;
        try (OnnxRuntimeSession s = OnnxRuntimeSession.open(f8, 1)) {
            ref = s.run(y, new long[] {4, 3, 224, 224});
        }
        int agree = 0;
        for (int i = 0; i < 4; i++) {
            agree += argmax(ours, i, 1000) == argmax(ref, i, 1000) ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "int8 file vs Compresso's int8 model: same top-1 on %d of 4 synthetic samples%n", agree);
        System.out.println(Speed.threads(threads).runs(runs).batches(1, 64).onnxRuntimeOnly().measure(fp32, int8).printAll());
    }

    static int argmax(float[] v, int row, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (v[row * k + j] > v[row * k + best]) {
                best = j;
            }
        }
        return best;
    }

    static void fashion(String model, int nTrain, int nTest, int epochs, Path out) throws Exception {
        DataSplit data = fashionMnist().subset(nTrain, nTest);
        Network init = model.equals("resnet20") ? Network.create(Zoo.resnet(20), 42) : Network.create(Zoo.mobilenetV2(), 42);
        long t0 = System.nanoTime();
        Network fp32 = init.train(data, epochs(epochs).quiet().log(new ExperimentLog())).named(model + "-fp32");
        System.out.printf(Locale.ROOT, "%s on %s (%d train, %d test), %d epochs, %.0f s: fp32 top-1 %.4f%n", model, data.name(), nTrain,
                nTest, epochs, (System.nanoTime() - t0) / 1e9, fp32.evaluation().top1());
        Network int8 = fp32.quantize(weightsTo(8).perChannel().activations(8).foldBatchNorm().named(model + "-int8"));
        Path f8 = int8.exportInt8(out.resolve(model + "-int8.onnx").toString());
        Path f32 = fp32.exportOnnx(out.resolve(model + "-fp32.onnx").toString());
        Samples test = data.test();
        int right = 0;
        try (OnnxRuntimeSession s = OnnxRuntimeSession.open(f8, 1)) {
            for (int from = 0; from < test.size(); from += 250) {
                int to = Math.min(test.size(), from + 250);
                float[] x = new float[(to - from) * test.sampleSize()];
                test.copyFeatures(from, to, x, 0);
                float[] y = s.run(x, new long[] {to - from, 1, 28, 28});
                for (int i = 0; i < to - from; i++) {
                    right += argmax(y, i, 10) == test.label(from + i) ? 1 : 0;
                }
            }
        }
        System.out.printf(Locale.ROOT, "int8 top-1: Compresso %.4f, ONNX Runtime on the QDQ file %.4f; fp32 %.4f (int8 - fp32 = %+.2f pt)%n",
                int8.evaluation().top1(), (double) right / test.size(), fp32.evaluation().top1(),
                100 * (int8.evaluation().top1() - fp32.evaluation().top1()));
        System.out.printf(Locale.ROOT, "files: fp32 %,d bytes, int8 %,d bytes, %.2fx smaller%n", Files.size(f32), Files.size(f8),
                (double) Files.size(f32) / Files.size(f8));
        System.out.println(Speed.defaults().runs(10).batches(1, 64).measure(fp32, fp32.foldBatchNorm(), int8).printAll());
    }
}
