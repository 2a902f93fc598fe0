package dev.compresso.kernel.resolver;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.eclipse.aether.ConfigurationProperties;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.supplier.SessionBuilderSupplier;
import org.eclipse.aether.transfer.ArtifactNotFoundException;
import org.eclipse.aether.util.filter.DependencyFilterUtils;

/**
 * The part of {@code %maven} that uses Maven's resolver. It is loaded by
 * {@code dev.compresso.kernel.MavenResolver} in a class loader of its own (the resolver and its
 * dependencies are not on the kernel's or JShell's class path), so it only speaks JDK types.
 */
public final class AetherResolver {

    private static RepositorySystem system;

    private AetherResolver() {}

    /**
     * Resolves an artifact and its runtime dependencies, downloading what is missing into the local
     * repository.
     *
     * @param coords {@code group:artifact[:extension[:classifier]]:version}
     * @param localRepo the local repository, such as {@code ~/.m2/repository}
     * @param remoteUrl the remote repository (Maven Central)
     * @return the files, the artifact's first
     * @throws IllegalStateException with a message that says what failed and the fix
     */
    public static synchronized List<String> resolve(String coords, String localRepo, String remoteUrl) {
        if (system == null) {
            system = new RepositorySystemSupplier().get();
        }
        RemoteRepository central = new RemoteRepository.Builder("central", "default", remoteUrl).build();
        try (RepositorySystemSession.CloseableSession session = new SessionBuilderSupplier(system).get()
                .withLocalRepositoryBaseDirectories(Path.of(localRepo))
                .setSystemProperties(System.getProperties())
                .setConfigProperty(ConfigurationProperties.CONNECT_TIMEOUT, 10_000)
                .setConfigProperty(ConfigurationProperties.REQUEST_TIMEOUT, 60_000)
                .build()) {
            CollectRequest collect = new CollectRequest(new Dependency(new DefaultArtifact(coords), "runtime"), List.of(central));
            DependencyRequest request = new DependencyRequest(collect, DependencyFilterUtils.classpathFilter("runtime"));
            List<String> files = new ArrayList<>();
            for (ArtifactResult r : system.resolveDependencies(session, request).getArtifactResults()) {
                files.add(r.getArtifact().getPath().toString());
            }
            return files;
        } catch (DependencyResolutionException e) {
            throw new IllegalStateException(explain(coords, localRepo, remoteUrl, e), e);
        }
    }

    private static String explain(String coords, String localRepo, String remoteUrl, Exception e) {
        String where = "Maven Central (" + remoteUrl + ")";
        Throwable network = null;
        ArtifactNotFoundException notFound = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            for (Throwable s : t.getSuppressed()) {
                network = network == null ? networkCause(s) : network;
            }
            network = network == null ? networkCause(t) : network;
            if (t instanceof ArtifactNotFoundException nf && notFound == null) {
                notFound = nf;
            }
        }
        if (network != null) {
            return "cannot resolve " + coords + ": " + where + " is not reachable (" + network
                    + "). Check the network (or the proxy: -Dhttps.proxyHost=... in COMPRESSO_JAVA_OPTS); offline, "
                    + "only artifacts already in " + localRepo + " resolve, or add a jar with %classpath PATH";
        }
        if (notFound != null) {
            return "cannot resolve " + coords + ": " + notFound.getArtifact() + " was not found in " + where
                    + ". Check the group id, artifact id and version (format group:artifact:version, "
                    + "e.g. org.apache.commons:commons-text:1.12.0)";
        }
        String first = e.getMessage() == null ? e.toString() : e.getMessage();
        return "cannot resolve " + coords + " from " + where + ": " + first;
    }

    private static Throwable networkCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UnknownHostException || c instanceof ConnectException || c instanceof NoRouteToHostException
                    || c instanceof SocketTimeoutException || c instanceof SSLException) {
                return c;
            }
        }
        return null;
    }
}
