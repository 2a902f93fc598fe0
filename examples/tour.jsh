// The README's DSL tour, run by the test suite (ReadmeTourTest). Run it with ./compresso run examples/tour.jsh

var data = fashionMnist().subset(6000, 1000);            // real data, found or fetched without root
var base = lenet300100().train(data, epochs(3));         // progress bar; returns a new model
base;                                                    // layers, parameters, accuracy, bytes
var pruned = base.prune(magnitude().sparsity(0.9).finetune(1));   // 90 % of weights gone, masks held
var shared = pruned.share(kmeans().bits(4));             // 16 shared values per layer
var packed = shared.pack();                              // a real file: sparse indices, codes, codebooks, Huffman
packed.breakdown();                                      // per-tensor bits, like Deep Compression's Table 2
log();                                                   // one row per model: top-1, params, bytes, ratio
tradeoff(log());                                         // accuracy vs bytes, log x axis, Pareto frontier
