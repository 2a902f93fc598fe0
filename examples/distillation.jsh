// Knowledge distillation (Hinton, Vinyals and Dean 2015) on Fashion-MNIST, in the setting model
// compression is for: a strong teacher exists, labels are few, images are many. The student, a
// 784-100-10 MLP, has labels for 6,000 training images; the other 54,000 it gets without labels, as a
// transfer set (Bucilua, Caruana and Niculescu-Mizil 2006). The teacher, a LeNet-5, stands for a model
// trained elsewhere: it learned from those 54,000 images with their labels, which the student never
// sees. Three students, each with five seeds and the same number of training steps:
//   alone           the 6,000 labelled images, 60 epochs;
//   teacher's top   the 6,000 labels plus the teacher's top class as the label of each transfer image
//                   (pseudo-labels: what the transfer set gives without the teacher's soft targets);
//   distilled       the 6,000 labels mixed by alpha with the teacher's soft targets at temperature T,
//                   plus the soft targets alone on the transfer images, 6 epochs of 60,000 images.
// All are evaluated on the 10,000 test images. Then the distilled student is pruned, weight-shared and
// packed, each step a new model and a log row.
// Run: ./compresso run examples/distillation.jsh --log out/distillation/log.csv

System.out.println(versions());
var full = fashionMnist();
var labelled = DataSplit.of("fashion-mnist[6000 labelled]", full.train().slice(0, 6000), full.test(), full.classNames());
var unlabelled = full.train().slice(6000, 60000);   // its labels are ignored by the student
var teacherData = DataSplit.of("fashion-mnist[other 54000]", unlabelled, full.test(), full.classNames());
double T = 2;        // temperature: how soft the teacher's targets are
double alpha = 0.5;  // weight of the soft (teacher) term on labelled images; 1 - alpha weighs their labels
long[] seeds = {1, 2, 3, 4, 5};

var teacher = lenet5().named("teacher-lenet-5").train(teacherData, epochs(4));
var distillation = distillFrom(teacher).temperature(T).alpha(alpha).transfer(unlabelled);
var withTransfer = distillation.trainingData(labelled); // 6,000 labelled + 54,000 transfer images

double t = teacher.evaluation().top1(), sumAlone = 0, sumTop = 0, sumDistilled = 0;
Network student = null;
for (long seed : seeds) {
    var alone = Network.create(Zoo.mlp(784, 100, 10), seed).named("student-alone-" + seed)
            .train(labelled, epochs(60).seed(seed).quiet());
    var top = Network.create(Zoo.mlp(784, 100, 10), seed).named("student-teachers-top-" + seed)
            .train(withTransfer, epochs(6).seed(seed).quiet());
    var kd = Network.create(Zoo.mlp(784, 100, 10), seed).named("student-" + seed)
            .distill(distillation, labelled, epochs(6).seed(seed).quiet());
    System.out.printf("seed %d: alone %.2f %%, teacher's top class %.2f %%, distilled %.2f %%%n", seed,
            100 * alone.evaluation().top1(), 100 * top.evaluation().top1(), 100 * kd.evaluation().top1());
    sumAlone += alone.evaluation().top1();
    sumTop += top.evaluation().top1();
    sumDistilled += kd.evaluation().top1();
    alone.close();
    top.close();
    if (student != null) {
        student.close();
    }
    student = kd;
}
double s = sumAlone / seeds.length, p = sumTop / seeds.length, d = sumDistilled / seeds.length;
System.out.printf("teacher %.2f %%, student alone %.2f %%, distilled %.2f %% (means of %d seeds; T=%s, alpha=%s):"
        + " %.0f %% of the gap closed%n", 100 * t, 100 * s, 100 * d, seeds.length, T, alpha, 100 * (d - s) / (t - s));
System.out.printf("with the teacher's top class as hard labels instead: %.2f %% (%.0f %% of the gap)%n",
        100 * p, 100 * (p - s) / (t - s));

// The chain: distill -> prune -> share -> pack. Fine-tuning keeps learning from the teacher, transfer set included.
var pruned = student.prune(magnitude().sparsity(0.9).gradual(3).finetune(2));
var shared = pruned.share(kmeans().bits(4).finetune(2));
var packed = shared.pack();
System.out.printf("distilled, pruned, shared student: %,d bytes on disk (%.1fx smaller than the dense student), top-1 %.2f %%%n",
        packed.bytes(), packed.ratio(), 100 * packed.model().evaluation().top1());

System.out.println(log());
save(tradeoff(log()), "tradeoff");
