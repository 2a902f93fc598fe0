// The README's DSL tour, run by the test suite. Run it with ./compresso run examples/tour.jsh

var data = fashionMnist().subset(6000, 1000);
var base = lenet300100().train(data, epochs(3));
base
base.summary()
log()
tradeoff(base)
