// Deployment on full Fashion-MNIST (issue 12's numbers): resnet(20) with ~50 % of the channels of
// every dependency group removed (residual-coupled groups included) and fine-tuned, against the dense
// model and an unstructured 80 %-sparse one; MACs and parameters before and after; batch-1 and
// batch-64 latency in DJL (PyTorch engine) and ONNX Runtime; mobilenetV2 quantized to int8.
// Run: ./compresso run examples/deployment.jsh --log out/deployment/log.csv
// notebooks/08-deployment.ipynb is the few-minute version of this on a subset.

threads(1);
System.out.println(versions());
var data = fashionMnist();
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

// Latency, measured: the median of `runs` timed forward passes after `warm` untimed ones, one thread.
double median(double[] v) { var s = v.clone(); Arrays.sort(s); return s[s.length / 2]; }

double djlMs(Network n, int batch, int warm, int runs) {
    var store = new ai.djl.training.ParameterStore(n.manager(), false);
    var ms = new double[runs];
    try (var m = n.manager().newSubManager()) {
        var x = m.randomNormal(new ai.djl.ndarray.types.Shape(batch, 1, 28, 28));
        for (int i = -warm; i < runs; i++) {
            long t0 = System.nanoTime();
            try (var call = m.newSubManager()) {   // the intermediates land here and are freed with it
                x.tempAttach(call);
                n.block().forward(store, new ai.djl.ndarray.NDList(x), false).singletonOrThrow().toFloatArray();
            }
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
    }
    return median(ms);
}

double ortMs(Path file, int batch, int warm, int runs) {
    var x = new float[batch * 28 * 28];
    var rnd = new Random(42);
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    var ms = new double[runs];
    try (var s = dev.compresso.onnx.OnnxRuntimeSession.open(file, 1)) {
        for (int i = -warm; i < runs; i++) {
            long t0 = System.nanoTime();
            s.run(x, new long[] {batch, 1, 28, 28});
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
    }
    return median(ms);
}

Table speedTable(Network... nets) {
    var t = Table.create("latency, ms per batch (median of 15 after 3 warm-up runs, 1 thread)",
            StringColumn.create("model"), DoubleColumn.create("DJL b1"), DoubleColumn.create("DJL b64"),
            DoubleColumn.create("ORT b1"), DoubleColumn.create("ORT b64"), DoubleColumn.create("DJL b64 img/s"),
            DoubleColumn.create("ORT b64 img/s"));
    for (var n : nets) {
        var file = n.exportOnnx("out/deployment/" + n.name() + ".onnx");
        double d1 = djlMs(n, 1, 3, 15), d64 = djlMs(n, 64, 3, 15), o1 = ortMs(file, 1, 3, 15), o64 = ortMs(file, 64, 3, 15);
        t.stringColumn("model").append(n.name());
        t.doubleColumn("DJL b1").append(d1);
        t.doubleColumn("DJL b64").append(d64);
        t.doubleColumn("ORT b1").append(o1);
        t.doubleColumn("ORT b64").append(o64);
        t.doubleColumn("DJL b64 img/s").append(64000 / d64);
        t.doubleColumn("ORT b64 img/s").append(64000 / o64);
        System.out.printf(Locale.ROOT, "%-28s DJL b1 %7.2f ms  b64 %8.2f ms | ORT b1 %7.2f ms  b64 %8.2f ms%n", n.name(), d1, d64, o1, o64);
    }
    return t;
}

// 1. The dense baseline: resnet(20), 10 epochs on the 60,000 training images.
long t0 = System.nanoTime();
var dense = resnet(20).train(data, epochs(10));
System.out.printf(Locale.ROOT, "dense: %.0f s per epoch%n", (System.nanoTime() - t0) / 1e9 / 10);
System.out.println(dense);
System.out.println(groups(dense).printAll());

// 2. Half of the channels of every prunable group (the residual groups too), ranked by L1 norm,
//    then fine-tuned for four epochs. The shrunk network is physically smaller.
var slim = dense.shrink(channels(0.5).finetune(4));
System.out.println(slim);

// 3. Unstructured: 80 % of the weights zeroed, one shot. Same shapes, so the same work.
var sparse = dense.prune(magnitude().sparsity(0.8));
System.out.println(sparse);

System.out.printf(Locale.ROOT, "parameters %,d -> %,d (%.2fx fewer); MACs %,d -> %,d (%.2fx fewer)%n",
        dense.parameterCount(), slim.parameterCount(), (double) dense.parameterCount() / slim.parameterCount(),
        macs(dense), macs(slim), (double) macs(dense) / macs(slim));
System.out.printf(Locale.ROOT, "top-1 dense %.2f %%, slim %.2f %% (%+.2f pt), sparse %.2f %%%n",
        100 * dense.evaluation().top1(), 100 * slim.evaluation().top1(),
        100 * (slim.evaluation().top1() - dense.evaluation().top1()), 100 * sparse.evaluation().top1());

// 4. Speed, measured.
var speeds = speedTable(dense, sparse, slim);
System.out.println(speeds.printAll());
System.out.printf(Locale.ROOT, "batch-64 speed-up of the slim model: DJL %.2fx, ONNX Runtime %.2fx%n",
        speeds.doubleColumn("DJL b64").get(0) / speeds.doubleColumn("DJL b64").get(2),
        speeds.doubleColumn("ORT b64").get(0) / speeds.doubleColumn("ORT b64").get(2));

// 5. mobilenetV2 with 8-bit per-channel weights and 8-bit activations (calibrated on 2,048 training images).
var mobile = mobilenetV2().train(data, epochs(5));
System.out.println(mobile);
var mobile8 = mobile.quantize(weightsTo(8).perChannel().activations(8));
System.out.println(mobile8);
System.out.printf(Locale.ROOT, "mobilenetV2 top-1 fp32 %.2f %%, int8 %.2f %% (%+.2f pt)%n",
        100 * mobile.evaluation().top1(), 100 * mobile8.evaluation().top1(),
        100 * (mobile8.evaluation().top1() - mobile.evaluation().top1()));

System.out.println(log());
