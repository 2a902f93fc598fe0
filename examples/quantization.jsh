// Quantization of LeNet-300-100 on Fashion-MNIST: post-training quantization of the weights from
// 16 down to 2 bits (per tensor and per channel, symmetric and asymmetric), 8-bit activations
// calibrated by min/max and by percentile, quantization-aware training where PTQ breaks down, and
// mixed precision. Run: ./compresso run examples/quantization.jsh --log out/quantization/log.csv

System.out.println(versions());
var data = fashionMnist();
var base = lenet300100().train(data, epochs(10));

var rows = Table.create("post-training quantization of lenet-300-100",
        StringColumn.create("config"), IntColumn.create("bits"), DoubleColumn.create("top1"));
for (int bits : new int[] {16, 8, 6, 4, 3, 2}) {
    for (String scheme : new String[] {"per-tensor symmetric", "per-channel symmetric", "per-channel asymmetric"}) {
        var q = weightsTo(bits);
        if (scheme.startsWith("per-channel")) q = q.perChannel();
        if (scheme.endsWith("asymmetric")) q = q.asymmetric();
        var m = base.quantize(q.named("ptq-" + bits + "-" + scheme.replace(' ', '-')));
        rows.stringColumn("config").append(scheme);
        rows.intColumn("bits").append(bits);
        rows.doubleColumn("top1").append(m.evaluation().top1());
        m.close();
    }
}
System.out.println(rows.printAll());

// 8-bit weights and activations: min/max calibration against the 99.99th percentile.
var a8 = base.quantize(weightsTo(8).perChannel().activations(8).calibrate("minmax").named("w8a8-minmax"));
var a8p = base.quantize(weightsTo(8).perChannel().activations(8).calibrate("percentile", 99.99).named("w8a8-p99.99"));
System.out.println(a8.evaluation() + "  <- w8a8 minmax");
System.out.println(a8p.evaluation() + "  <- w8a8 percentile 99.99");

// Where post-training quantization breaks down, quantization-aware training recovers.
var ptq2 = base.quantize(weightsTo(2).perChannel().named("ptq-2"));
var qat2 = base.quantize(weightsTo(2).perChannel().finetune(2).named("qat-2"));
System.out.printf("2-bit per-channel: PTQ %.2f%%, QAT (2 epochs) %.2f%%, dense %.2f%%%n",
        100 * ptq2.evaluation().top1(), 100 * qat2.evaluation().top1(), 100 * base.evaluation().top1());

// Mixed precision: the big first layer at 3 bits, the rest at 6.
var mixed = base.quantize(weightsTo(6).bits("02Linear", 3).perChannel().finetune(1).named("mixed-3-6"));
System.out.println(mixed);

// On disk: with one scale per row, the file stores each row's scale and every weight's integer level.
System.out.println(mixed.pack());   // the file's size and its breakdown per tensor
var int8 = base.quantize(weightsTo(8).perChannel().named("ptq-8-per-channel"));
System.out.println(int8.pack());

System.out.println(log());
