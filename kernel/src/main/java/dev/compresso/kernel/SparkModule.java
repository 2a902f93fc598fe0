package dev.compresso.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code %spark}: puts Compresso's Spark module (spark/target/classes) and Spark's own jars
 * (spark/target/spark-lib, copied there by the build) on the session's class path, and imports
 * {@code dev.compresso.spark.Spark.*}. Spark stays off the kernel's class path until a cell asks.
 */
final class SparkModule {

    private SparkModule() {}

    static Evaluator.Outcome add(Evaluator evaluator, String source) {
        Path target = Path.of(System.getProperty("compresso.home", "."), "spark", "target").toAbsolutePath().normalize();
        Path classes = target.resolve("classes");
        Path lib = target.resolve("spark-lib");
        if (!Files.isRegularFile(classes.resolve("dev/compresso/spark/Spark.class")) || !Files.isDirectory(lib)) {
            return Magics.fail(source, "SparkError", "Compresso's Spark module is not built in " + target
                    + "; build it with: mvn -B -q -DskipTests -pl spark -am package (./compresso builds it too)");
        }
        List<Path> jars;
        try (Stream<Path> s = Files.list(lib)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            return Magics.fail(source, "SparkError", "cannot list " + lib + ": " + e.getMessage());
        }
        if (!evaluator.classpath().contains(classes.toString())) {
            evaluator.addToClasspath(classes.toString());
            jars.forEach(j -> evaluator.addToClasspath(j.toString()));
        }
        Evaluator.Outcome o = evaluator.eval("import static dev.compresso.spark.Spark.*;", source, null);
        if (o.ok()) {
            System.out.println("Spark module added (" + jars.size() + " jars from " + lib + "); run a sweep on it with"
                    + " sweep(name, grid, recipe, spark()) for local[n], or spark(\"spark://host:7077\") for a cluster");
        }
        return o;
    }
}
