package dev.compresso.spark;

import dev.compresso.eval.Grid;
import dev.compresso.eval.Sweep;
import dev.compresso.model.TorchRuntime;
import dev.compresso.runs.Run;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Sweeps on Apache Spark: each configuration is one Spark task, trained with one PyTorch thread.
 * {@code spark()} runs embedded {@code local[n]} with one task per core; {@code
 * spark("spark://host:7077")} sends the tasks to a standalone cluster, shipping the DSL, DJL and the
 * PyTorch natives as the application's jars (nothing is installed on the workers but Spark). Results
 * stream back into the session log and the run store as they finish; Spark retries a task whose
 * executor died; a configuration that fails is recorded as failed; interrupting the cell cancels the
 * job and keeps what finished.
 *
 * <pre>{@code
 * import static dev.compresso.spark.Spark.*;
 * var s = sweep("sparsity", grid("sparsity", 0.5, 0.7, 0.8, 0.9),
 *               p -> perWorker("base", () -> lenet300100().train(fashionMnist(), epochs(2)))
 *                        .prune(magnitude().sparsity(p.get("sparsity")).finetune(1)),
 *               spark("local[2]"));
 * }</pre>
 */
public final class Spark implements Sweep.Runner {

    private static final Map<String, Object> PER_WORKER = new ConcurrentHashMap<>();
    private static JavaSparkContext context;
    private static String contextKey;

    private final String master;
    private final List<String> jars;
    private final Map<String, String> conf;

    private Spark(String master, List<String> jars, Map<String, String> conf) {
        this.master = master;
        this.jars = jars;
        this.conf = conf;
    }

    /** Embedded Spark, {@code local[n]} with n the number of cores: tasks run in this JVM. */
    public static Spark spark() {
        return spark("local[" + Runtime.getRuntime().availableProcessors() + "]");
    }

    /**
     * Spark at a master URL: {@code local[n]} (embedded, n tasks at once) or {@code spark://host:7077}
     * (a standalone cluster).
     *
     * @param master the master URL
     * @return the runner, to pass to {@code sweep(name, grid, recipe, spark(...))}
     */
    public static Spark spark(String master) {
        if (master == null || !(master.matches("local(\\[(\\d+|\\*)(,\\d+)?])?") || master.startsWith("spark://"))) {
            throw new IllegalArgumentException("Spark master '" + master + "' is not supported; use local[n] (embedded, n tasks at"
                    + " once) or spark://host:7077 (a standalone cluster)");
        }
        return new Spark(master, List.of(), Map.of());
    }

    /**
     * The same runner with more jars to ship to the executors, for example the jar of a recipe
     * compiled outside the notebook.
     *
     * @param paths jar files
     * @return a new runner
     */
    public Spark jars(String... paths) {
        List<String> j = new ArrayList<>(jars);
        for (String p : paths) {
            if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(p))) {
                throw new IllegalArgumentException("jar '" + p + "' does not exist; give the path of a jar file to ship to the executors");
            }
            j.add(java.nio.file.Path.of(p).toAbsolutePath().toString());
        }
        return new Spark(master, List.copyOf(j), conf);
    }

    /**
     * The same runner with one more Spark setting, for example {@code conf("spark.executor.memory", "4g")}.
     *
     * @param key a Spark configuration key
     * @param value its value
     * @return a new runner
     */
    public Spark conf(String key, String value) {
        Map<String, String> c = new LinkedHashMap<>(conf);
        c.put(key, value);
        return new Spark(master, jars, Map.copyOf(c));
    }

    /** The master URL. */
    public String master() {
        return master;
    }

    /**
     * A value made once per worker JVM and shared by the tasks that run there, such as the base model
     * every configuration starts from: {@code perWorker("base", () -> lenet300100().train(fashionMnist(),
     * epochs(2)))}. In embedded mode the session is the worker, so a cell that calls it first trains the
     * base once for every task.
     *
     * @param key a name for the value
     * @param make makes it the first time
     * @param <T> its type
     * @return the value
     */
    @SuppressWarnings("unchecked")
    public static <T> T perWorker(String key, Supplier<T> make) {
        return (T) PER_WORKER.computeIfAbsent(key, k -> make.get());
    }

    /** How many Spark jobs run now, for tests. */
    static synchronized int activeJobs() {
        return context == null ? 0 : context.statusTracker().getActiveJobIds().length;
    }

    /** Stops the session's Spark context, if one is running; the next Spark sweep starts a new one. */
    public static synchronized void stop() {
        if (context != null) {
            context.stop();
            context = null;
            contextKey = null;
        }
    }

    @Override
    public boolean run(String sweep, List<Grid.Params> configurations, Function<Grid.Params, Object> recipe, Consumer<Run> done) {
        if (configurations.isEmpty()) {
            return true;
        }
        checkSerializable(recipe);
        int before = TorchRuntime.threads();
        JavaSparkContext sc = context(recipe.getClass().getClassLoader());
        if (!master.startsWith("local")) {
            java.nio.file.Path snippets = AppJars.snippets(recipe); // a recipe written in a notebook cell
            if (snippets != null) {
                sc.addJar(snippets.toString());
            }
        }
        List<Map<String, Double>> values = new ArrayList<>();
        configurations.forEach(p -> values.add(new LinkedHashMap<>(p.values())));
        JavaRDD<Run> tasks = sc.parallelize(values, values.size()).map(new Task(sweep, recipe));
        LinkedBlockingQueue<Object[]> arrived = new LinkedBlockingQueue<>();
        List<Object> partitions = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            partitions.add(i);
        }
        sc.setLocalProperty("spark.job.interruptOnCancel", "true");
        SimpleFutureAction<BoxedUnit> job = sc.sc().submitJob(tasks.rdd(), new First(),
                scala.jdk.javaapi.CollectionConverters.asScala(partitions).toSeq(), new Handler(arrived), new Unit());
        int received = 0;
        java.util.Set<String> got = new java.util.HashSet<>();
        long start = System.nanoTime();
        boolean warned = false;
        boolean finished = false;
        try {
            while (received < values.size()) {
                Object[] next = arrived.poll(500, TimeUnit.MILLISECONDS);
                if (next != null) {
                    received++;
                    Run r = (Run) next[1];
                    got.add(r.config());
                    System.out.printf(Locale.ROOT, "spark %d/%d: %s %s%n", received, values.size(), r.config(),
                            r.ok() ? String.format(Locale.ROOT, "top-1 %.2f%% in %.1f s", 100 * r.top1(), r.seconds()) : "failed: " + r.error());
                    done.accept(r);
                    continue;
                }
                if (job.isCompleted() && arrived.isEmpty()) {
                    // the job ended without every result: Spark gave up on a task (it failed spark.task.maxFailures times)
                    String why = job.value().get().isFailure() ? String.valueOf(job.value().get().failed().get().getMessage()) : "unknown";
                    for (int i = 0; i < values.size(); i++) {
                        if (got.contains(configurations.get(i).label())) {
                            continue;
                        }
                        done.accept(Run.failed(sweep, configurations.get(i).label(), values.get(i), "Spark gave up: " + why));
                    }
                    break;
                }
                if (!warned && !master.startsWith("local") && System.nanoTime() - start > 30e9 && received == 0
                        && sc.sc().statusTracker().getExecutorInfos().length <= 1) {
                    warned = true;
                    System.out.println("spark: no executor has registered with " + master + " after 30 s; start a worker"
                            + " (org.apache.spark.deploy.worker.Worker " + master + ") or check that it has free cores and memory");
                }
            }
            finished = true;
            return true;
        } catch (InterruptedException e) {
            return false; // consumed, as the sequential runner does: the sweep reports itself interrupted
        } finally {
            if (!finished && !job.isCompleted()) {
                job.cancel();
                System.out.printf(Locale.ROOT, "spark: job cancelled; %d of %d results kept%n", received, values.size());
            }
            if (master.startsWith("local")) {
                TorchRuntime.threads(before); // the tasks ran in this JVM with one thread
            }
        }
    }

    private static void checkSerializable(Function<Grid.Params, Object> recipe) {
        if (!(recipe instanceof Serializable)) {
            throw new IllegalArgumentException("the recipe (" + recipe.getClass().getName() + ") is not serializable, so Spark cannot"
                    + " send it to a worker; write it where a Sweep.Recipe is expected, as in sweep(name, grid, p -> ..., spark())");
        }
        try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            out.writeObject(recipe);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("the recipe cannot be sent to a Spark worker: it captures a " + e.getMessage()
                    + ", which is not serializable. Let the recipe build what it needs itself, for example the base model with"
                    + " perWorker(\"base\", () -> lenet300100().train(fashionMnist(), epochs(2))), so that it captures only"
                    + " numbers and strings", e);
        } catch (IOException e) {
            throw new UncheckedIOException("the recipe cannot be serialized for Spark: " + e.getMessage(), e);
        }
    }

    private synchronized JavaSparkContext context(ClassLoader recipeLoader) {
        String key = master + " " + jars + " " + conf;
        if (context != null && key.equals(contextKey) && !context.sc().isStopped()) {
            return context;
        }
        stop();
        if (master.startsWith("spark://")) {
            checkReachable(master);
        }
        SparkConf c = new SparkConf().setMaster(master).setAppName("compresso")
                .set("spark.ui.enabled", "false")
                .set("spark.task.maxFailures", "4")
                .set("spark.executorEnv.COMPRESSO_RUNS", "off")
                .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                .set("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE")
                .set("spark.executor.extraJavaOptions",
                        "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1");
        if (master.startsWith("local") || master.contains("://127.0.0.1") || master.contains("://localhost")) {
            c.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        }
        if (!master.startsWith("local")) {
            List<String> ship = new ArrayList<>(AppJars.find(recipeLoader));
            ship.addAll(jars);
            c.setJars(ship.toArray(String[]::new));
        }
        conf.forEach(c::set);
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        // embedded executors load task classes through the loader that created the context: the
        // recipe's (JShell's, in a notebook), so lambdas written in a cell deserialize
        t.setContextClassLoader(recipeLoader);
        try {
            context = new JavaSparkContext(c);
        } finally {
            t.setContextClassLoader(previous);
        }
        context.setLogLevel("WARN");
        contextKey = key;
        return context;
    }

    /** Names an unreachable master at once instead of after Spark's minute of registration retries. */
    static void checkReachable(String master) {
        String hosts = master.substring("spark://".length());
        String error = null;
        for (String hostPort : hosts.split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Spark master '" + master + "' has port '" + hostPort.substring(colon + 1)
                        + "', not a number; write spark://host:7077");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 5000);
                return;
            } catch (IOException e) {
                error = e.getMessage();
            }
        }
        throw new IllegalStateException("cannot reach the Spark master " + master + " (" + error + ", tried for up to 5 s):"
                + " start it (java -cp 'SPARK_HOME/jars/*' org.apache.spark.deploy.master.Master --host HOST --port PORT,"
                + " or sbin/start-master.sh) or correct the URL; spark() with no argument runs embedded local[n] instead");
    }

    /** One configuration on a worker: one PyTorch thread, the recipe, the measured run (failed, not thrown). */
    static final class Task implements org.apache.spark.api.java.function.Function<Map<String, Double>, Run> {
        private static final long serialVersionUID = 1L;
        private final String sweep;
        private final Function<Grid.Params, Object> recipe;

        Task(String sweep, Function<Grid.Params, Object> recipe) {
            this.sweep = sweep;
            this.recipe = recipe;
        }

        @Override
        public Run call(Map<String, Double> values) {
            Grid.Params p = new Grid.Params(values);
            try {
                TorchRuntime.threads(1);
                return Sweep.runOne(sweep, p, recipe);
            } catch (RuntimeException | LinkageError e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e; // a cancelled job: let Spark see the kill
                }
                String hint = e instanceof NullPointerException && recipe.getClass().getName().startsWith("REPL.")
                        ? " (a notebook variable the recipe uses has no value on a worker: build it inside the recipe,"
                                + " for example with perWorker(\"base\", () -> ...))"
                        : "";
                return Run.failed(sweep, p.label(), values, e + " on " + host() + hint);
            }
        }

        private static String host() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName() + " pid " + ProcessHandle.current().pid();
            } catch (IOException e) {
                return "pid " + ProcessHandle.current().pid();
            }
        }
    }

    /** A task's one result. */
    static final class First extends AbstractFunction1<scala.collection.Iterator<Run>, Run> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Run apply(scala.collection.Iterator<Run> it) {
            return it.next();
        }
    }

    /** On the driver: each result as Spark hands it over, once per partition. */
    static final class Handler extends AbstractFunction2<Object, Run, BoxedUnit> {
        private final LinkedBlockingQueue<Object[]> arrived;

        Handler(LinkedBlockingQueue<Object[]> arrived) {
            this.arrived = arrived;
        }

        @Override
        public BoxedUnit apply(Object index, Run run) {
            arrived.add(new Object[] {index, run});
            return BoxedUnit.UNIT;
        }
    }

    static final class Unit extends AbstractFunction0<BoxedUnit> {
        @Override
        public BoxedUnit apply() {
            return BoxedUnit.UNIT;
        }
    }

    @Override
    public String toString() {
        return "Spark " + master + (jars.isEmpty() ? "" : " with " + jars.size() + " extra jar(s)");
    }
}
