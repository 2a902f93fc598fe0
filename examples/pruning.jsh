// Pruning LeNet-300-100 on Fashion-MNIST, after Han et al. 2015 ("Learning both Weights and
// Connections"): magnitude pruning in three rounds with fine-tuning, a report beside Han's per-layer
// kept fractions, a sensitivity analysis, and structured pruning that really shrinks the model.
// Run: ./compresso run examples/pruning.jsh --log out/pruning/log.csv

System.out.println(versions());
var data = fashionMnist();

// 1. The dense baseline.
var base = lenet300100().train(data, epochs(10));
System.out.println(base);

// 2. Magnitude pruning: Han's layer-wise rates (they kept 8 %, 9 % and 26 %), reached in three
//    rounds on a cubic ramp, three fine-tuning epochs after each. Masks hold during fine-tuning.
var pruned = base.prune(magnitude().sparsity(0.93).sparsity("04Linear", 0.90).sparsity("06Linear", 0.70)
        .gradual(3).finetune(3));
System.out.println(pruned);

var report = sparsity(pruned);
report.addColumns(DoubleColumn.create("han_kept_mnist", new double[] {0.08, 0.09, 0.26, 0.08}));
System.out.println(report.printAll());

double prunedShare = 1 - (double) report.longColumn("nonzeros").get(3) / report.longColumn("weights").get(3);
double drop = 100 * (pruned.evaluation().top1() - base.evaluation().top1());
System.out.printf("weights pruned: %.2f %% (%.1fx fewer); top-1 %.2f %% -> %.2f %% (%+.2f pt vs dense)%n",
        100 * prunedShare, 1 / (1 - prunedShare), 100 * base.evaluation().top1(), 100 * pruned.evaluation().top1(), drop);

// 3. Sensitivity: each layer pruned alone, no fine-tuning.
var sens = sensitivity(base, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99);
System.out.println(sens.printAll());
save(sensitivityChart(sens), "sensitivity");

// 4. Structured: half the hidden neurons removed by L1 norm. The shrunk model computes exactly what
//    the masked model (same neurons zeroed) computes, with half the parameters; then one epoch of
//    fine-tuning.
var masked = neurons(0.5).masked(base);
var shrunk = base.shrink(neurons(0.5));
float[] a = masked.outputs(data.test());
float[] b = shrunk.outputs(data.test());
double maxDiff = 0;
for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
System.out.printf("shrunk vs masked on the 10,000 test images: max |difference| %.2e; parameters %,d -> %,d%n",
        maxDiff, base.parameterCount(), shrunk.parameterCount());
var half = shrunk.finetune(1);
System.out.println(half);

System.out.println(log());
save(tradeoff(log()), "tradeoff");
