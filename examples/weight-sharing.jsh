// Weight sharing on LeNet-300-100 (mirrors notebooks/03-weight-sharing): k-means per layer at 1 to 6
// bits, the four centroid initializations, and fine-tuning of the centroids, each packed into a real
// file. Run: ./compresso run examples/weight-sharing.jsh --log out/weight-sharing/log.csv

System.out.println(versions());
var data = fashionMnist();
var base = lenet300100().train(data, epochs(10));

for (int bits : new int[] {1, 2, 4, 6}) {
    var s = base.share(kmeans().bits(bits).named("shared-" + bits + "-bit"));
    var p = s.pack();
    System.out.printf("%d bit(s): top-1 %.2f %%, %,d bytes (%.1fx)%n", bits, 100 * s.evaluation().top1(), p.bytes(), p.ratio());
}
for (String init : new String[] {"linear", "density", "random", "kmeans++"}) {
    var s = base.share(kmeans().bits(3).init(init).named("init-" + init));
    System.out.printf("3 bits, %s init: top-1 %.2f %%%n", init, 100 * s.evaluation().top1());
}
var tuned = base.share(kmeans().bits(2).finetune(2).named("shared-2-bit-finetuned"));
System.out.printf("2 bits with 2 epochs of centroid fine-tuning: top-1 %.2f %%%n", 100 * tuned.evaluation().top1());
System.out.println(log());
save(tradeoff(log()), "tradeoff");
