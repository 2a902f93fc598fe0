// A sweep over pruning sparsity (the small output layer kept at 70 %) and weight-sharing bits on
// LeNet-300-100: ten configurations, each
// pruned with one fine-tuning epoch, shared and packed into a real file. The Pareto frontier shows
// which configurations are worth it. Run: ./compresso run examples/sweep.jsh --log out/sweep/log.csv

System.out.println(versions());
var data = fashionMnist();
var base = lenet300100().train(data, epochs(10));

long t0 = System.nanoTime();
var s = sweep(grid("sparsity", 0.8, 0.9, 0.95, 0.97, 0.98).and("bits", 3, 5),
        p -> base.prune(magnitude().sparsity(p.get("sparsity")).sparsity("06Linear", 0.7).finetune(1))
                 .share(kmeans().bits(p.getInt("bits")))
                 .pack());
System.out.printf("sweep of 10 configurations: %.1f s%n", (System.nanoTime() - t0) / 1e9);

System.out.println(s);
save(s.chart(), "pareto");
