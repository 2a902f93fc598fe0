// Deep Compression (Han, Mao and Dally 2016) on Fashion-MNIST: prune, share weights by k-means,
// Huffman-code the result into a real file, load it back and check it. LeNet-300-100, then LeNet-5.
// Run: ./compresso run examples/deep-compression.jsh --log out/deep-compression/log.csv

System.out.println(versions());
var data = fashionMnist();

// ---- LeNet-300-100 ---------------------------------------------------------------------------
var base = lenet300100().train(data, epochs(10));

// 1. Prune to Han's layer-wise rates in three rounds, three fine-tuning epochs after each.
var pruned = base.prune(magnitude().sparsity(0.93).sparsity("04Linear", 0.90).sparsity("06Linear", 0.70)
        .gradual(3).finetune(3));

// 2. Share weights: 16 centroids per layer (4-bit codes), linear init; fine-tune the centroids.
var shared = pruned.share(kmeans().bits(4).finetune(1));

// 3. Pack: relative sparse indices + codes + codebooks, canonical-Huffman coded, checksummed.
//    pack() writes the file, reads it back, checks every weight bit for bit and evaluates it.
var packed = shared.pack();
System.out.println(packed);
save(packed.chart(), "lenet-300-100-breakdown");

// 4. Load it again from disk, as a user of the file would, and check it predicts the same.
var loaded = load(packed.file().toString());
System.out.printf("loaded %s: %s (shared model: %s)%n", loaded.name(), loaded.evaluate(data), shared.evaluation());

double drop = 100 * (packed.model().evaluation().top1() - base.evaluation().top1());
System.out.printf("LeNet-300-100: %,d -> %,d bytes (%.1fx), top-1 %.2f%% -> %.2f%% (%+.2f pt vs dense)%n",
        base.denseBytes(), packed.bytes(), packed.ratio(), 100 * base.evaluation().top1(),
        100 * packed.model().evaluation().top1(), drop);

// 5. Beyond 40x: the raw fp32 biases are 8 % of that file and the first layer's codes half of it.
//    Sharing the biases too and coding the first layer with 8 centroids reaches past 50x.
var tight = pruned.share(kmeans().bits(4).bits("02Linear", 3).select(weights().withBiases())
        .bits("06Linear_bias", 3).finetune(1).named("lenet-300-100-tight"));
var packedTight = tight.pack();
System.out.printf("LeNet-300-100, biases shared, 3-bit first layer: %,d bytes (%.1fx), top-1 %.2f%% (%+.2f pt vs dense)%n",
        packedTight.bytes(), packedTight.ratio(), 100 * packedTight.model().evaluation().top1(),
        100 * (packedTight.model().evaluation().top1() - base.evaluation().top1()));

// ---- LeNet-5 (Caffe variant, 431K parameters) ------------------------------------------------
var base5 = lenet5().train(data, epochs(6));
// Han kept 66 % of conv1, 12 % of conv2, 8 % of fc1 and 19 % of fc2.
var pruned5 = base5.prune(magnitude().sparsity(0.92).sparsity("01Conv2d", 0.34).sparsity("03Conv2d", 0.88)
        .sparsity("08Linear", 0.81).gradual(3).finetune(1));
var shared5 = pruned5.share(kmeans().bits(4).bits("01Conv2d", 6).bits("03Conv2d", 6).finetune(1));
var packed5 = shared5.pack();
System.out.println(packed5);
save(packed5.chart(), "lenet-5-breakdown");
double drop5 = 100 * (packed5.model().evaluation().top1() - base5.evaluation().top1());
System.out.printf("LeNet-5: %,d -> %,d bytes (%.1fx), top-1 %.2f%% -> %.2f%% (%+.2f pt vs dense)%n",
        base5.denseBytes(), packed5.bytes(), packed5.ratio(), 100 * base5.evaluation().top1(),
        100 * packed5.model().evaluation().top1(), drop5);

System.out.println(log());
save(tradeoff(log()), "tradeoff");
