// Deployment on full Fashion-MNIST (issue 12's numbers): resnet(20) with ~50 % of the channels of
// every dependency group removed (residual-coupled groups included) and fine-tuned, against the dense
// model and an unstructured 80 %-sparse one; MACs and parameters before and after; BatchNorm folding, int8 QDQ export for ONNX Runtime, batch-1 and batch-64 latency in DJL (PyTorch
// engine) and ONNX Runtime measured by speed(); mobilenetV2 quantized to int8.
// Run: ./compresso run examples/deployment.jsh --log out/deployment/log.csv
//      PART=resnet20 runs steps 1-5 only, PART=mobilenetv2 step 6 only (one run per core).
// notebooks/08-deployment.ipynb is the few-minute version of this on a subset.

threads(1);
String part = System.getenv().getOrDefault("PART", "all");
System.out.println(versions());
// TRAIN=n trains on the first n of the 60,000 training images (balanced across classes; the 10,000
// test images stay): a mobilenetV2() epoch on all of them takes about half an hour on one core.
int trainImages = Integer.parseInt(System.getenv().getOrDefault("TRAIN", "60000"));
var data = trainImages == 60000 ? fashionMnist() : fashionMnist().subset(trainImages, 10000);
System.out.println(data);

// Multiply-accumulates of one image, counted on the graph: a convolution costs
// out_h · out_w · out_channels · (in_channels / groups) · kh · kw, a Linear layer units · inputs.
long macs(Network n) {
    var g = n.architecture().graph();
    var shapes = g.shapes(1);
    long total = 0;
    for (var node : g.nodes()) {
        if (node.op() instanceof Op.Conv c) {
            long[] o = shapes.get(node.name());
            total += o[2] * o[3] * c.out() * (c.in() / c.groups()) * c.kernel()[0] * c.kernel()[1];
        } else if (node.op() instanceof Op.Linear l) {
            total += (long) l.units() * l.in();
        }
    }
    return total;
}

// Top-1 of an ONNX file in ONNX Runtime (one thread), on the test images in batches of 100.
double ortTop1(Path file, Samples test) {
    int right = 0;
    try (var s = dev.compresso.onnx.OnnxRuntimeSession.open(file, 1)) {
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
    return (double) right / test.size();
}

// The dense baselines, trained once: Adam at 1e-3 for 12 epochs, then 3 at 1e-4. They are packed to
// out/dense/NAME-e12+3.cmpr (-nTRAIN before .cmpr on a subset), shared with examples/resnet-deep-compression.jsh: whichever runs first
// trains them, the other loads them with the same options for fine-tuning. Delete them to retrain.
Network baseline(Network fresh) {
    var file = Path.of("out/dense/" + fresh.name() + "-e12+3" + (trainImages == 60000 ? "" : "-n" + trainImages) + ".cmpr");
    var last = epochs(3).learningRate(1e-4).seed(43);
    if (Files.exists(file)) {
        System.out.println("dense " + fresh.name() + ": loaded from " + file + " (delete it to train again)");
        return load(file.toString()).named(fresh.name()).withData(data, last);
    }
    long t0 = System.nanoTime();
    // DENSE_THREADS=2 trains the baseline with two PyTorch threads (the rest of the script uses one).
    threads(Integer.parseInt(System.getenv().getOrDefault("DENSE_THREADS", "1")));
    var high = fresh.train(data, epochs(12).learningRate(1e-3).seed(42));
    var base = high.train(data, last);
    threads(1);
    System.out.printf(Locale.ROOT, "dense %s: %.0f s per epoch%n", fresh.name(), (System.nanoTime() - t0) / 1e9 / 15);
    base.pack(file);
    return base;
}

if (part.equals("all") || part.equals("resnet20")) {
    // 1. The dense baseline: resnet(20), 10 epochs on the 60,000 training images.
    var dense = baseline(resnet(20).named("resnet20"));
    System.out.println(dense);
    System.out.println(groups(dense).printAll());

    // 2. Half of the channels of every prunable group (the residual groups too), ranked by L1 norm,
    //    then fine-tuned like the dense training: 8 epochs at 1e-3 (the dense training ended at 1e-4,
    //    too low to win back what half the channels lose), then 2 at 1e-4. The shrunk network is
    //    physically smaller.
    var slim = dense.shrink(channels(0.5).finetune(8, 1e-3)).train(data, epochs(2).learningRate(1e-4).seed(44));
    System.out.println(slim);

    // 3. Unstructured: 80 % of the weights zeroed by magnitude, one fine-tuning epoch. Same shapes,
    //    so the same work for a dense kernel.
    var sparse = dense.prune(magnitude().sparsity(0.8).finetune(1));
    System.out.println(sparse);

    System.out.printf(Locale.ROOT, "parameters %,d -> %,d (%.2fx fewer); MACs %,d -> %,d (%.2fx fewer)%n",
            dense.parameterCount(), slim.parameterCount(), (double) dense.parameterCount() / slim.parameterCount(),
            macs(dense), macs(slim), (double) macs(dense) / macs(slim));
    System.out.printf(Locale.ROOT, "top-1 dense %.2f %%, slim %.2f %% (%+.2f pt), sparse %.2f %%%n",
            100 * dense.evaluation().top1(), 100 * slim.evaluation().top1(),
            100 * (slim.evaluation().top1() - dense.evaluation().top1()), 100 * sparse.evaluation().top1());

    // 4. BatchNorm folded into the convolutions (eval mode: same outputs), and the slim model in int8:
    //    folded first, 8-bit per-channel weights, 8-bit activations calibrated on 2,048 training images,
    //    exported as QDQ ONNX and scored by ONNX Runtime.
    var folded = slim.foldBatchNorm();
    float[] a = slim.outputs(data.test()), b = folded.outputs(data.test());
    double maxDiff = 0;
    for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    System.out.printf(Locale.ROOT, "folded vs slim on the 10,000 test images: max |difference| %.2e%n", maxDiff);
    var slim8 = slim.quantize(weightsTo(8).perChannel().activations(8).foldBatchNorm());
    var slimFp32 = slim.exportOnnx("out/deployment/resnet20-slim.onnx");
    var slimInt8 = slim8.exportInt8("out/deployment/resnet20-slim-int8.onnx");
    System.out.printf(Locale.ROOT, "slim int8: top-1 %.2f %% (Compresso), %.2f %% (ONNX Runtime); file %,d bytes vs fp32 %,d (%.2fx)%n",
            100 * slim8.evaluation().top1(), 100 * ortTop1(slimInt8, data.test()), Files.size(slimInt8), Files.size(slimFp32),
            (double) Files.size(slimFp32) / Files.size(slimInt8));

    // 5. Speed, measured: batch 1 and 64, DJL and ONNX Runtime, 1 thread, median of 10 runs in turns.
    var speeds = speed(dense, sparse, slim, folded, slim8);
    System.out.println(speeds.printAll());
    save(Charts.speed(speeds), "deployment-speed");
}

if (part.equals("all") || part.equals("mobilenetv2")) {
    // 6. mobilenetV2, fp32 and int8 (folded, per-channel weights, calibrated activations) in ONNX Runtime.
    var mobile = baseline(mobilenetV2().named("mobilenetv2"));
    System.out.println(mobile);
    var mobile8 = mobile.quantize(weightsTo(8).perChannel().activations(8).foldBatchNorm());
    System.out.println(mobile8);
    var mobileFp32 = mobile.exportOnnx("out/deployment/mobilenetv2.onnx");
    var mobileInt8 = mobile8.exportInt8("out/deployment/mobilenetv2-int8.onnx");
    double ortMobile8 = ortTop1(mobileInt8, data.test());
    System.out.printf(Locale.ROOT, "mobilenetV2 top-1 fp32 %.2f %%, int8 %.2f %% (Compresso) %.2f %% (ONNX Runtime, %+.2f pt vs fp32); file %,d vs %,d bytes%n",
            100 * mobile.evaluation().top1(), 100 * mobile8.evaluation().top1(), 100 * ortMobile8,
            100 * (ortMobile8 - mobile.evaluation().top1()), Files.size(mobileInt8), Files.size(mobileFp32));
    System.out.println(speed(mobile, mobile8).printAll());
}

System.out.println(log());
