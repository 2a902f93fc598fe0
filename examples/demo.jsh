// The Compresso demo: Deep Compression (Han, Mao and Dally 2016) of LeNet-300-100 on Fashion-MNIST.
// Baseline, prune, share, pack into a real file, load it back, verify. Prints the log and the size
// breakdown; writes charts and an HTML report. Run it with `./compresso demo [--log OUT.csv]`.

System.out.println(versions());
var data = fashionMnist();
System.out.println(data);

// 1. Baseline: the dense LeNet-300-100 (784-300-100-10), 10 epochs of Adam.
var base = lenet300100().train(data, epochs(10));

// 2. Prune to Han's layer-wise rates (7 %, 10 %, 30 % kept) in three rounds, fine-tuning after each.
var pruned = base.prune(magnitude().sparsity(0.93).sparsity("04Linear", 0.90).sparsity("06Linear", 0.70)
        .gradual(3).finetune(3));

// 3. Share weights: k-means to 16 centroids per layer (8 for the first), biases too; fine-tune centroids.
var shared = pruned.share(kmeans().bits(4).bits("02Linear", 3).select(weights().withBiases())
        .bits("06Linear_bias", 3).finetune(1));

// 4. Pack: sparse relative indices, codes and codebooks, Huffman coded, checksummed, written atomically.
var packed = shared.pack();

// 5. Load the file back as its user would, and verify: same weights bit for bit, same accuracy.
var loaded = load(packed.file().toString());
var check = loaded.evaluate(data);
boolean same = check.top1() == shared.evaluation().top1();
for (var p : shared.parameterNames()) {
    same &= java.util.Arrays.equals(shared.weights(p), loaded.weights(p));
}
if (!same) {
    throw new IllegalStateException("the loaded model differs from the packed one");
}
System.out.printf("verified: %s loads back with identical weights and top-1 %.2f %%%n", packed.file().getFileName(), 100 * check.top1());

System.out.println(log());
System.out.println(TextTable.render(packed.breakdown(), TextTable.WIDTH));
System.out.printf("LeNet-300-100: %,d -> %,d bytes on disk (%.1fx smaller), top-1 %.2f %% -> %.2f %% (%+.2f pt)%n",
        base.denseBytes(), packed.bytes(), packed.ratio(), 100 * base.evaluation().top1(), 100 * check.top1(),
        100 * (check.top1() - base.evaluation().top1()));

save(curves(base), "training-curves");
save(tradeoff(log()), "tradeoff");
save(packed.chart(), "breakdown");
report("report", "Compresso demo: Deep Compression of LeNet-300-100 on Fashion-MNIST",
        versions(), log(), tradeoff(log()), packed, packed.chart(), curves(base));
