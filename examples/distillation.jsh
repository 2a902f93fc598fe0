// Knowledge distillation (Hinton, Vinyals and Dean 2015) on Fashion-MNIST: a small MLP student
// learns from a LeNet-5 teacher's softened outputs. The student has 6,000 labelled training images;
// the teacher was trained on the other 54,000, so its outputs on the student's images are honest
// predictions, not memorized labels (a teacher's targets on its own training images are nearly
// one-hot and teach little: we measured no gain that way). Students are trained with three seeds and
// evaluated on all 10,000 test images. Then the distilled student is pruned, weight-shared and packed,
// each step a new model and a log row.
// Run: ./compresso run examples/distillation.jsh --log out/distillation/log.csv

System.out.println(versions());
var full = fashionMnist();
var data = DataSplit.of("fashion-mnist[6000 labelled]", full.train().slice(0, 6000), full.test(), full.classNames());
var teacherData = DataSplit.of("fashion-mnist[other 54000]", full.train().slice(6000, 60000), full.test(), full.classNames());
double T = 2;        // temperature: how soft the teacher's targets are
double alpha = 0.5;  // weight of the soft (teacher) term; 1 - alpha weighs the hard labels
int epochs = 60;     // student epochs (6,000 images each)
long[] seeds = {1, 2, 3};

var teacher = lenet5().named("teacher-lenet-5").train(teacherData, epochs(4));
var distillation = distillFrom(teacher).temperature(T).alpha(alpha);

double t = teacher.evaluation().top1(), sumAlone = 0, sumDistilled = 0;
Network student = null;
for (long seed : seeds) {
    var alone = Network.create(Zoo.mlp(784, 100, 10), seed).named("student-alone-" + seed)
            .train(data, epochs(epochs).seed(seed).quiet());
    var kd = Network.create(Zoo.mlp(784, 100, 10), seed).named("student-" + seed)
            .distill(distillation, data, epochs(epochs).seed(seed).quiet());
    System.out.printf("seed %d: alone %.2f %%, distilled %.2f %%%n", seed, 100 * alone.evaluation().top1(), 100 * kd.evaluation().top1());
    sumAlone += alone.evaluation().top1();
    sumDistilled += kd.evaluation().top1();
    student = kd;
}
double s = sumAlone / seeds.length, d = sumDistilled / seeds.length;
System.out.printf("teacher %.2f %%, student alone %.2f %%, distilled %.2f %% (means of %d seeds; T=%s, alpha=%s, %d epochs):"
        + " %.0f %% of the gap closed%n", 100 * t, 100 * s, 100 * d, seeds.length, T, alpha, epochs, 100 * (d - s) / (t - s));

// The chain: distill -> prune -> share -> pack. Fine-tuning keeps learning from the teacher.
var pruned = student.prune(magnitude().sparsity(0.9).gradual(2).finetune(5));
var shared = pruned.share(kmeans().bits(4).finetune(2));
var packed = shared.pack();
System.out.printf("distilled, pruned, shared student: %,d bytes on disk (%.1fx smaller than the dense student), top-1 %.2f %%%n",
        packed.bytes(), packed.ratio(), 100 * packed.model().evaluation().top1());

System.out.println(log());
save(tradeoff(log()), "tradeoff");
