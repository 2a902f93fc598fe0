// mobilenetV2() int8 against fp32 on a subset of Fashion-MNIST (issue 12), with the JVM's peak RSS:
// 5 epochs at 2e-3 and 1 at 2e-4 on 6,000 training images, 2,000 test images, 2 threads; int8 is
// folded BatchNorm, 8-bit per-channel weights, calibrated 8-bit activations, scored in Compresso and
// as QDQ ONNX in ONNX Runtime (1 thread). About 14 minutes on 2 cores.
// Run: ./compresso run bench/mobilenetv2-int8.jsh   (writes out/mobilenetv2.onnx and out/mobilenetv2-int8.onnx)
threads(2);
System.out.println(versions());
long hwm() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) if (l.startsWith("VmHWM")) return Long.parseLong(l.replaceAll("\\D", "")) / 1024;
    return -1;
}
var data = fashionMnist().subset(6000, 2000);
var m = mobilenetV2().named("mobilenetv2").train(data, epochs(5).learningRate(2e-3).seed(42)).train(data, epochs(1).learningRate(2e-4).seed(43));
System.out.println(m);
System.out.println("peak RSS after training: " + hwm() + " MiB");
var m8 = m.quantize(weightsTo(8).perChannel().activations(8).foldBatchNorm());
System.out.println(m8);
System.out.println("peak RSS after quantize + evaluate: " + hwm() + " MiB");
var f32 = m.exportOnnx("out/mobilenetv2.onnx");
var f8 = m8.exportInt8("out/mobilenetv2-int8.onnx");
int right = 0;
var test = data.test();
try (var s = dev.compresso.onnx.OnnxRuntimeSession.open(f8, 1)) {
    for (int from = 0; from < test.size(); from += 100) {
        int to = Math.min(test.size(), from + 100);
        var x = new float[(to - from) * test.sampleSize()];
        test.copyFeatures(from, to, x, 0);
        float[] y = s.run(x, new long[] {to - from, 1, 28, 28});
        for (int i = 0; i < to - from; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++) if (y[i * 10 + k] > y[i * 10 + best]) best = k;
            if (best == test.label(from + i)) right++;
        }
    }
}
double ort = (double) right / test.size();
System.out.printf(Locale.ROOT, "RESULT mobilenetV2 (6,000 train / 2,000 test): fp32 %.2f %%, int8 Compresso %.2f %%, int8 ONNX Runtime %.2f %% (%+.2f pt vs fp32); files %,d / %,d bytes (%.2fx)%n",
    100 * m.evaluation().top1(), 100 * m8.evaluation().top1(), 100 * ort, 100 * (ort - m.evaluation().top1()), Files.size(f32), Files.size(f8), (double) Files.size(f32) / Files.size(f8));
System.out.println("peak RSS at the end: " + hwm() + " MiB");
