package dev.compresso.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * A standalone Spark cluster on this machine, for trying a cluster sweep without one and for the
 * tests: a master and workers, each a separate JVM started from Spark's own jars, everything bound to
 * 127.0.0.1. Its {@code $SPARK_HOME/jars} is laid out (as links) from this JVM's class path without
 * Compresso, DJL, PyTorch, Tablesaw, XChart or SQLite, which reach the executors as the
 * application's jars, as on a real cluster.
 *
 * <pre>{@code
 * try (var cluster = LocalCluster.start(Path.of("target/spark-home"), 2)) {
 *     sweep("bits", grid, recipe, spark(cluster.url()));
 * }
 * }</pre>
 */
public final class LocalCluster implements AutoCloseable {

    private static final List<String> APP_PACKAGES = List.of("ai/djl/", "dev/compresso/", "tech/tablesaw/", "org/knowm/xchart/",
            "org/sqlite/", "native/lib/", "jnilib/", "org/junit/", "org/opentest4j/");

    private final Path home;
    private final String url;
    private final List<Process> workers;
    private final Process master;

    private LocalCluster(Path home, String url, Process master, List<Process> workers) {
        this.home = home;
        this.url = url;
        this.master = master;
        this.workers = workers;
    }

    /**
     * Starts a master and {@code workerCount} workers (one core, 3 GiB each) on 127.0.0.1.
     *
     * @param home the folder to lay $SPARK_HOME out in; logs and work folders go there too
     * @param workerCount how many workers, ≥ 1
     * @return the running cluster; close it to stop every process
     */
    public static LocalCluster start(Path home, int workerCount) {
        if (workerCount < 1) {
            throw new IllegalArgumentException("workers=" + workerCount + " must be ≥ 1, for example 2");
        }
        Path h = home.toAbsolutePath().normalize();
        List<Process> started = new ArrayList<>();
        try {
            layOut(h);
            int port = freePort();
            String url = "spark://127.0.0.1:" + port;
            Process master = start(h, "master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                    String.valueOf(port), "--webui-port", String.valueOf(freePort())));
            started.add(master);
            waitForPort(h, port, 60);
            List<Process> workers = new ArrayList<>();
            for (int i = 0; i < workerCount; i++) {
                Path work = Files.createDirectories(h.resolve("work-" + i));
                Process w = start(h, "worker-" + i, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--webui-port", String.valueOf(freePort()), "--cores", "1", "--memory", "3g", "--work-dir", work.toString(), url));
                started.add(w);
                workers.add(w);
            }
            return new LocalCluster(h, url, master, workers);
        } catch (IOException | RuntimeException e) {
            started.forEach(LocalCluster::kill);
            throw new IllegalStateException("cannot start a local Spark cluster in " + h + ": " + e.getMessage()
                    + "; see the logs there (master.log, worker-N.log)", e);
        }
    }

    /** The master URL, {@code spark://127.0.0.1:PORT}. */
    public String url() {
        return url;
    }

    /** The folder laid out as $SPARK_HOME, with the logs. */
    public Path home() {
        return home;
    }

    /**
     * Kills a worker and its executor with SIGKILL, as a machine that dies.
     *
     * @param i the worker, from 0
     */
    public void killWorker(int i) {
        kill(workers.get(i));
    }

    /** True while worker {@code i} runs. */
    public boolean workerAlive(int i) {
        return workers.get(i).isAlive();
    }

    /** Stops the workers, their executors and the master. */
    @Override
    public void close() {
        workers.forEach(LocalCluster::kill);
        kill(master);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** $SPARK_HOME/jars: links to this JVM's jars, less the application's. */
    private static void layOut(Path h) throws IOException {
        Path jars = Files.createDirectories(h.resolve("jars"));
        Files.writeString(h.resolve("RELEASE"), "Spark laid out by Compresso's LocalCluster from the Maven jars\n");
        List<Path> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            cp.addAll(AppJars.expand(e));
        }
        ClassLoader l = LocalCluster.class.getClassLoader();
        if (l instanceof java.net.URLClassLoader u) { // a notebook that added the Spark module with %spark
            for (java.net.URL url : u.getURLs()) {
                if ("file".equals(url.getProtocol())) {
                    cp.addAll(AppJars.expand(url.getPath()));
                }
            }
        }
        for (Path p : cp) {
            String name = p.getFileName().toString();
            if (!name.endsWith(".jar") || name.startsWith("surefire") || isApp(p)) {
                continue;
            }
            Path link = jars.resolve(name);
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, p);
            }
        }
    }

    private static boolean isApp(Path jar) throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                String n = e.nextElement().getName();
                for (String p : APP_PACKAGES) {
                    if (n.startsWith(p)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Process start(Path h, String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptionArray()));
        cmd.addAll(List.of("-Xmx512m", "-cp", h.resolve("jars") + "/*"));
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SPARK_HOME", h.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_LOCAL_HOSTNAME", "127.0.0.1");
        pb.redirectErrorStream(true).redirectOutput(h.resolve(name + ".log").toFile());
        return pb.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(Path h, int port, int seconds) throws IOException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the master", ie);
                }
            }
        }
        throw new IOException("the Spark master did not listen on 127.0.0.1:" + port + " within " + seconds + " s; see "
                + h.resolve("master.log"));
    }

    @Override
    public String toString() {
        return "local Spark cluster " + url + " with " + workers.size() + " worker(s), home " + home;
    }
}
