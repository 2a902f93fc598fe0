// Compresso demo: LeNet-300-100 trained on the full Fashion-MNIST, its log and its charts.
// Run it with `./compresso demo` (or `./compresso run examples/demo.jsh --log out/demo/log.csv`).

System.out.println(versions());

var data = fashionMnist();
System.out.println(data);

var base = lenet300100().train(data, epochs(10));
System.out.println(base);
System.out.println(base.summary().printAll());
System.out.println(log());

save(curves(base), "training-curves");
save(tradeoff(base), "tradeoff");
