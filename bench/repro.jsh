// Trains LeNet-300-100 for 2 epochs on Fashion-MNIST (seeded) and prints a fingerprint of the run:
// both epochs' training losses in hex (every bit), test top-1, a hash of every final weight's bits,
// and the epoch times. bench/run.sh repro runs it under each code-path setting and compares.
var data = fashionMnist();
var net = lenet300100().train(data, epochs(2));
var e = net.history().epochs();
long h = 1;
for (String p : net.parameterNames()) {
    for (float f : net.weights(p)) {
        h = 31 * h + Float.floatToRawIntBits(f);
    }
}
System.out.println("RESULT mode=" + dev.compresso.Reproducibility.mode().replace(' ', '_')
        + " loss1=" + Double.toHexString(e.get(0).trainLoss()) + " loss2=" + Double.toHexString(e.get(1).trainLoss())
        + " top1=" + e.get(1).testTop1() + " weights=" + Long.toHexString(h)
        + String.format(" epoch_s=%.2f,%.2f", e.get(0).seconds(), e.get(1).seconds()));
